import type { ComponentType } from 'react';
import { OverviewPage } from './overview.js';

export interface PageProps {
  params: Record<string, string>;
}

export interface Page {
  path: string;
  title: string;
  nav: boolean;
  component: ComponentType<PageProps>;
}

function NotFound() {
  return <p>There is no such page. Pick one from the menu above.</p>;
}

export const PAGES: Page[] = [{ path: '/', title: 'Overview', nav: true, component: OverviewPage }];

const notFound: Page = { path: '', title: 'Not found', nav: false, component: NotFound };

/** The page for a path: `:name` segments become params. */
export function findPage(path: string): { page: Page; params: Record<string, string> } {
  const parts = path.split('/').filter(Boolean);
  for (const page of PAGES) {
    const pattern = page.path.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (
      pattern.every((p, i) =>
        p.startsWith(':') ? ((params[p.slice(1)] = decodeURIComponent(parts[i])), true) : p === parts[i],
      )
    )
      return { page, params };
  }
  return { page: notFound, params: {} };
}

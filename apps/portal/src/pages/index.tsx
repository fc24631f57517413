import type { ComponentType } from 'react';
import { AlertsPage } from './alerts.js';
import { AuditPage } from './audit.js';
import { CalendarFormPage } from './calendar-form.js';
import { CalendarsPage } from './calendars.js';
import { DefinitionFormPage } from './definition-form.js';
import { DefinitionHistoryPage } from './definition-history.js';
import { DefinitionsPage } from './definitions.js';
import { GroupRunPage } from './group-run.js';
import { GroupRunsPage } from './group-runs.js';
import { OverviewPage } from './overview.js';
import { TargetsPage } from './targets.js';
import { TaskRunPage } from './task-run.js';
import { TaskRunsPage } from './task-runs.js';
import { TriggersPage } from './triggers.js';

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

// Order: the menu's. Literal paths before `:param` ones of the same length (/definitions/new).
export const PAGES: Page[] = [
  { path: '/', title: 'Overview', nav: true, component: OverviewPage },
  { path: '/definitions', title: 'Definitions', nav: true, component: DefinitionsPage },
  { path: '/definitions/new', title: 'New definition', nav: false, component: DefinitionFormPage },
  { path: '/definitions/:id', title: 'Definition', nav: false, component: DefinitionFormPage },
  { path: '/definitions/:id/history', title: 'Definition history', nav: false, component: DefinitionHistoryPage },
  { path: '/group-runs', title: 'Group runs', nav: true, component: GroupRunsPage },
  { path: '/group-runs/:id', title: 'Group run', nav: false, component: GroupRunPage },
  { path: '/task-runs', title: 'Task runs', nav: true, component: TaskRunsPage },
  { path: '/task-runs/:id', title: 'Task run', nav: false, component: TaskRunPage },
  { path: '/triggers', title: 'Triggers', nav: true, component: TriggersPage },
  { path: '/alerts', title: 'Alerts', nav: true, component: AlertsPage },
  { path: '/calendars', title: 'Calendars', nav: true, component: CalendarsPage },
  { path: '/calendars/new', title: 'New calendar', nav: false, component: CalendarFormPage },
  { path: '/calendars/:name', title: 'Calendar', nav: false, component: CalendarFormPage },
  { path: '/targets', title: 'Targets', nav: true, component: TargetsPage },
  { path: '/audit', title: 'Audit log', nav: true, component: AuditPage },
];

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

import { type ReactNode, useState } from 'react';
import { api, query } from './api.js';
import type { Page } from './types.js';
import { Empty, type Loaded, Loading, Pager, Problem, useLoad } from './ui.js';

/** One of the admin API's cursor-paged lists, as a list page holds it: the page read, where it is, how to move. */
export interface PagedList<T> extends Loaded<Page<T>> {
  cursor: string | undefined;
  /** To the page after `cursor`, or (no cursor) back to the first: a new filter starts there too. */
  go: (cursor?: string) => void;
}

/**
 * The page at `path` with `params` (the list's filters and limit) after the current cursor, loaded again
 * when they change and every `refreshMs` if given.
 */
export function usePagedList<T>(
  path: string,
  params: Record<string, string | number | undefined>,
  refreshMs?: number,
): PagedList<T> {
  const [cursor, go] = useState<string>();
  const loaded = useLoad(
    () => api<Page<T>>('GET', `${path}${query({ ...params, cursor })}`),
    [path, JSON.stringify(params), cursor],
    refreshMs,
  );
  return { ...loaded, cursor, go };
}

/**
 * A list page's body, laid out alike everywhere: the last error, "Loading" until the first answer, the
 * `empty` text (what to do next) when there is nothing to show, else the items, and the pager below.
 * `items` are what is shown when the page filters its answer further (else the answer's items); without
 * `empty`, `render` shows an empty list itself.
 */
export function PagedListBody<T>(props: {
  list: PagedList<T>;
  what: string;
  empty?: ReactNode;
  items?: T[];
  render: (items: T[]) => ReactNode;
}) {
  const { list } = props;
  const items = props.items ?? list.data?.items ?? [];
  return (
    <>
      <Problem error={list.error} />
      {!list.data ? (
        <Loading what={props.what} />
      ) : items.length === 0 && props.empty !== undefined ? (
        <Empty>{props.empty}</Empty>
      ) : (
        props.render(items)
      )}
      <Pager next={list.data?.nextCursor} cursor={list.cursor} go={list.go} />
    </>
  );
}

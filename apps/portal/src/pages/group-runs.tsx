import { type FormEvent, useState } from 'react';
import { api, query } from '../api.js';
import { Link } from '../router.js';
import { readRunFilters, RunFilterFields, useRunFilters } from '../run-filters.js';
import { duration, when } from '../time.js';
import type { GroupRun, Page } from '../types.js';
import { Empty, Loading, Pager, Problem, StateBadge, useLoad } from '../ui.js';

const STATUSES = ['', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

export function GroupRunsPage() {
  const [filters, setFilters] = useRunFilters();
  const [cursor, setCursor] = useState<string>();
  const { data, error } = useLoad(
    () => api<Page<GroupRun>>('GET', `/group-runs${query({ ...filters, cursor, limit: 25 })}`),
    [JSON.stringify(filters), cursor],
    5000,
  );
  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setCursor(undefined);
    setFilters(readRunFilters(e.currentTarget));
  };
  return (
    <>
      <form onSubmit={apply} aria-label="Filter group runs">
        <RunFilterFields statuses={STATUSES} filters={filters} />
        <button type="submit">Filter</button>
      </form>
      <Problem error={error} />
      {!data ? (
        <Loading what="group runs" />
      ) : data.items.length === 0 ? (
        <Empty>
          No group runs match. A run starts when a trigger matching a definition arrives, or with Run now on the
          Definitions page.
        </Empty>
      ) : (
        <GroupRunTable runs={data.items} />
      )}
      <Pager next={data?.nextCursor} cursor={cursor} go={setCursor} />
    </>
  );
}

function GroupRunTable({ runs }: { runs: GroupRun[] }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Definition</th>
          <th scope="col">State</th>
          <th scope="col">Business date</th>
          <th scope="col">Files (ok / failed / total)</th>
          <th scope="col">Started</th>
          <th scope="col">Duration</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id}>
            <td>
              <Link to={`/group-runs/${r.id}`}>{r.definition}</Link>
              {r.overdue ? <StateBadge state="OVERDUE" /> : null}
            </td>
            <td>
              <StateBadge state={r.status} />
            </td>
            <td>{r.businessDate ?? '—'}</td>
            <td>
              {r.counts.succeeded} / {r.counts.failed} / {r.counts.total}
            </td>
            <td>{when(r.createdAt)}</td>
            <td>{duration(r.createdAt, r.finishedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

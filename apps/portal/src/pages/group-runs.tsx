import type { FormEvent } from 'react';
import { PagedListBody, usePagedList } from '../paged-list.js';
import { Link } from '../router.js';
import { readRunFilters, RunFilterFields, useRunFilters } from '../run-filters.js';
import { duration, when } from '../time.js';
import type { GroupRun } from '../types.js';
import { StateBadge } from '../ui.js';

const STATUSES = ['', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

export function GroupRunsPage() {
  const [filters, setFilters] = useRunFilters();
  const list = usePagedList<GroupRun>('/group-runs', { ...filters, limit: 25 }, 5000);
  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    list.go();
    setFilters(readRunFilters(e.currentTarget));
  };
  return (
    <>
      <form onSubmit={apply} aria-label="Filter group runs">
        <RunFilterFields statuses={STATUSES} filters={filters} />
        <button type="submit">Filter</button>
      </form>
      <PagedListBody
        list={list}
        what="group runs"
        empty="No group runs match. A run starts when a trigger matching a definition arrives, or with Run now on the Definitions page."
        render={(runs) => <GroupRunTable runs={runs} />}
      />
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

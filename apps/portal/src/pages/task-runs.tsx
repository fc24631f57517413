import type { FormEvent } from 'react';
import { PagedListBody, usePagedList } from '../paged-list.js';
import { Link } from '../router.js';
import { readRunFilters, RunFilterFields, useRunFilters } from '../run-filters.js';
import { duration, when } from '../time.js';
import type { TaskRunListed } from '../types.js';
import { StateBadge } from '../ui.js';

const STATUSES = [
  '',
  'PENDING',
  'DISPATCHED',
  'ACCEPTED',
  'RUNNING',
  'RETRY_WAIT',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'SKIPPED',
];

/** Every group's task runs, newest first (GET /task-runs): one file's story across runs and days. */
export function TaskRunsPage() {
  const [filters, setFilters] = useRunFilters();
  const list = usePagedList<TaskRunListed>('/task-runs', { ...filters, limit: 50 }, 5000);
  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    list.go();
    setFilters(readRunFilters(e.currentTarget));
  };
  return (
    <>
      <form onSubmit={apply} aria-label="Filter task runs">
        <RunFilterFields statuses={STATUSES} filters={filters} />
        <button type="submit">Filter</button>
      </form>
      <PagedListBody
        list={list}
        what="task runs"
        empty={<>No task runs match. Each file of a group run is one task run.</>}
        render={(tasks) => (
          <table>
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Definition</th>
                <th scope="col">Business date</th>
                <th scope="col">State</th>
                <th scope="col">Attempts</th>
                <th scope="col">Created</th>
                <th scope="col">Duration</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((t) => (
                <tr key={t.id} data-testid={`task-run-${t.id}`}>
                  <td>
                    <Link to={`/task-runs/${t.id}`}>{t.file.name}</Link>
                  </td>
                  <td>
                    <Link to={`/group-runs/${t.groupRunId}`} aria-label={`${t.definition} run of ${t.file.name}`}>
                      {t.definition}
                    </Link>
                  </td>
                  <td>{t.businessDate ?? '—'}</td>
                  <td>
                    <StateBadge state={t.status} />
                    {t.reconciliationStatus === 'MISMATCH' ? <strong> MISMATCH</strong> : null}
                  </td>
                  <td>
                    {t.attempt} / {t.maxAttempts}
                  </td>
                  <td>{when(t.createdAt)}</td>
                  <td>{duration(t.dispatchedAt ?? t.createdAt, t.finishedAt)}</td>
                  <td>{t.lastError && t.status !== 'SUCCEEDED' ? <code>{t.lastError.code}</code> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      />
    </>
  );
}

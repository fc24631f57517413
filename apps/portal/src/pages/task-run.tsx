import { api } from '../api.js';
import { canMarkSucceeded, MarkSucceededButton } from '../moves.js';
import { Link } from '../router.js';
import { useCan } from '../session.js';
import { when } from '../time.js';
import type { TaskRunDetail } from '../types.js';
import { ConfirmButton, Empty, Loading, Problem, StateBadge, useLoad } from '../ui.js';
import type { PageProps } from './index.js';

const RETRYABLE = new Set(['FAILED', 'CANCELLED', 'SKIPPED']);

export function TaskRunPage({ params }: PageProps) {
  const can = useCan();
  const {
    data: t,
    error,
    reload,
  } = useLoad(() => api<TaskRunDetail>('GET', `/task-runs/${encodeURIComponent(params.id)}`), [params.id], 3000);
  if (!t) return error ? <Problem error={error} /> : <Loading what="the task run" />;
  const dispatches = [...new Set(t.events.map((e) => e.dispatchId).filter((d): d is string => !!d))];
  return (
    <>
      <Problem error={error} />
      <p>
        <strong>{t.file.name}</strong> <StateBadge state={t.status} /> · attempt {t.attempt} of {t.maxAttempts} ·{' '}
        <Link to={`/group-runs/${t.groupRunId}`}>its group run</Link> · target {t.targetUrl ?? '—'}
      </p>
      {can.operate && RETRYABLE.has(t.status) ? (
        <ConfirmButton
          label="Retry task"
          question={`Run ${t.file.name} again from its first attempt?`}
          action={() => api('POST', `/task-runs/${t.id}/retry`)}
          onDone={reload}
        />
      ) : null}{' '}
      {can.operate && canMarkSucceeded(t) ? <MarkSucceededButton task={t} onDone={reload} /> : null}
      <section aria-labelledby="last-error">
        <h2 id="last-error">Last error</h2>
        {t.lastError ? (
          <p>
            <code>{t.lastError.code}</code> {t.lastError.message}
          </p>
        ) : (
          <Empty>No error recorded.</Empty>
        )}
      </section>
      <section aria-labelledby="dispatches">
        <h2 id="dispatches">Dispatches</h2>
        {dispatches.length === 0 ? (
          <Empty>Not dispatched yet.</Empty>
        ) : (
          <ul>
            {dispatches.map((d) => (
              <li key={d}>
                <code>{d}</code>
                {d === t.dispatchId ? ' (current)' : ''}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="events">
        <h2 id="events">Events</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">At</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Actor</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {t.events.map((e, i) => (
              <tr key={i}>
                <td>{when(e.at)}</td>
                <td>{e.from ? <StateBadge state={e.from} /> : '—'}</td>
                <td>
                  <StateBadge state={e.to} />
                </td>
                <td>{e.actor}</td>
                <td>{e.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

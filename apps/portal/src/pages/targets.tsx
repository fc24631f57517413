import { api } from '../api.js';
import { when } from '../time.js';
import type { Page, Target } from '../types.js';
import { Empty, Loading, Problem, StateBadge, useLoad } from '../ui.js';

export function TargetsPage() {
  const { data, error } = useLoad(() => api<Page<Target>>('GET', '/targets'), [], 5000);
  return (
    <>
      <Problem error={error} />
      {!data ? (
        <Loading what="targets" />
      ) : data.items.length === 0 ? (
        <Empty>No downstream called yet: targets appear once a definition's tasks are dispatched.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Breaker</th>
              <th scope="col">In flight</th>
              <th scope="col">Failures in a row</th>
              <th scope="col">Times opened</th>
              <th scope="col">Retry at</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((t) => (
              <tr key={t.url}>
                <td>
                  <code>{t.url}</code>
                </td>
                <td>
                  <StateBadge state={t.breaker} />
                </td>
                <td>{t.inFlight}</td>
                <td>{t.consecutiveFailures}</td>
                <td>{t.timesOpened}</td>
                <td>{when(t.retryAt)}</td>
                <td>{t.lastError ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

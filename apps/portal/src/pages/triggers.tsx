import { useState } from 'react';
import { api, query } from '../api.js';
import { Link } from '../router.js';
import { when } from '../time.js';
import type { Page, TriggerRecord } from '../types.js';
import { Empty, Loading, Pager, Problem, StateBadge, useLoad } from '../ui.js';

export function TriggersPage() {
  const [status, setStatus] = useState('');
  const [cursor, setCursor] = useState<string>();
  const { data, error } = useLoad(
    () => api<Page<TriggerRecord>>('GET', `/triggers${query({ status, cursor, limit: 50 })}`),
    [status, cursor],
    5000,
  );
  return (
    <>
      <label>
        Status
        <select
          value={status}
          onChange={(e) => {
            setCursor(undefined);
            setStatus(e.target.value);
          }}
        >
          <option value="">any</option>
          <option value="ACCEPTED">ACCEPTED</option>
          <option value="UNMATCHED">UNMATCHED</option>
          <option value="REJECTED">REJECTED</option>
        </select>
      </label>
      <Problem error={error} />
      {!data ? (
        <Loading what="triggers" />
      ) : data.items.length === 0 ? (
        <Empty>
          No trigger messages received. Upstream services publish them (POST /api/v1/triggers or the queue).
        </Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">State</th>
              <th scope="col">Source / event</th>
              <th scope="col">Business date</th>
              <th scope="col">Files</th>
              <th scope="col">Group runs</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((t) => (
              <tr key={t.id}>
                <td>{when(t.receivedAt)}</td>
                <td>
                  <StateBadge state={t.status} />
                </td>
                <td>
                  {t.source ?? '—'} / {t.event ?? '—'}
                </td>
                <td>{t.businessDate ?? '—'}</td>
                <td>{t.fileCount ?? '—'}</td>
                <td>
                  {(t.answer?.groupRuns ?? []).map((g) => (
                    <Link key={g.id} to={`/group-runs/${g.id}`}>
                      {g.definition}{' '}
                    </Link>
                  ))}
                </td>
                <td>{t.reason ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager next={data?.nextCursor} cursor={cursor} go={setCursor} />
    </>
  );
}

import { useState } from 'react';
import { api } from '../api.js';
import { PagedListBody, usePagedList } from '../paged-list.js';
import { Link } from '../router.js';
import { useCan } from '../session.js';
import { when } from '../time.js';
import type { TriggerRecord } from '../types.js';
import { ConfirmButton, StateBadge, StatusFilter } from '../ui.js';

/** Triggers an operator may replay against today's bindings. */
const REPLAYABLE = new Set(['UNMATCHED', 'REJECTED']);

export function TriggersPage() {
  const can = useCan();
  const [status, setStatus] = useState('');
  const list = usePagedList<TriggerRecord>('/triggers', { status, limit: 50 }, 5000);
  const { reload } = list;
  return (
    <>
      <StatusFilter
        value={status}
        options={['', 'ACCEPTED', 'UNMATCHED', 'REJECTED', 'SKIPPED', 'QUEUED', 'WAITING']}
        onChange={(s) => {
          list.go();
          setStatus(s);
        }}
      />
      <PagedListBody
        list={list}
        what="triggers"
        empty={<>No trigger messages received. Upstream services publish them (POST /api/v1/triggers or the queue).</>}
        render={(triggers) => (
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
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {triggers.map((t) => (
                <tr key={t.id}>
                  <td>{when(t.receivedAt)}</td>
                  <td>
                    <StateBadge state={t.status} />
                  </td>
                  <td>
                    {t.source ?? '—'} / {t.event ?? '—'}
                    {t.via === 'schedule' || t.via === 'depends' ? <span className="muted"> · via {t.via}</span> : null}
                  </td>
                  <td>{t.businessDate ?? '—'}</td>
                  <td>{t.fileCount ?? '—'}</td>
                  <td>
                    {[...(t.answer?.groupRuns ?? []), ...(t.replay?.groupRuns ?? [])].map((g) => (
                      <Link key={g.id} to={`/group-runs/${g.id}`}>
                        {g.definition}{' '}
                      </Link>
                    ))}
                  </td>
                  <td>
                    {t.reason ?? '—'}
                    {t.replayedAt ? <span className="muted"> · replayed {when(t.replayedAt)}</span> : null}
                  </td>
                  <td>
                    {can.operate && REPLAYABLE.has(t.status) && !t.replayedAt ? (
                      <ConfirmButton
                        label={`Replay ${t.source ?? ''}/${t.event ?? ''} ${t.messageId ?? t.id}`}
                        className="outline"
                        question={`Match this ${t.status.toLowerCase()} trigger against today's definitions and start their runs?`}
                        action={() => api('POST', `/triggers/${t.id}/replay`)}
                        onDone={reload}
                      />
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      />
    </>
  );
}

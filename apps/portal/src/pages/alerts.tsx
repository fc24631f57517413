import { useRef, useState } from 'react';
import { api } from '../api.js';
import { PagedListBody, usePagedList } from '../paged-list.js';
import { Link } from '../router.js';
import { useCan } from '../session.js';
import { when } from '../time.js';
import type { Alert } from '../types.js';
import { ConfirmButton, StateBadge, StatusFilter } from '../ui.js';

export function AlertsPage() {
  const can = useCan();
  const [status, setStatus] = useState('OPEN');
  const list = usePagedList<Alert>('/alerts', { status, limit: 50 }, 5000);
  const { reload } = list;
  return (
    <>
      <StatusFilter
        value={status}
        options={['OPEN', 'ACKNOWLEDGED', 'RESOLVED', '']}
        onChange={(s) => {
          list.go();
          setStatus(s);
        }}
      />
      <PagedListBody
        list={list}
        what="alerts"
        empty={
          <>No {status.toLowerCase() || ''} alerts. Alerts appear when a run fails, runs late or does not reconcile.</>
        }
        render={(alerts) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">State</th>
                <th scope="col">Message</th>
                <th scope="col">Run</th>
                <th scope="col">Last raised</th>
                <th scope="col">Acknowledged</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {alerts.map((a) => (
                <tr key={a.id} data-testid={`alert-${a.id}`}>
                  <td>{a.kind}</td>
                  <td>
                    <StateBadge state={a.status} />
                  </td>
                  <td>
                    {a.message}
                    {a.occurrences > 1 ? <span className="muted"> ({a.occurrences} times)</span> : null}
                  </td>
                  <td>
                    {a.groupRunId ? <Link to={`/group-runs/${a.groupRunId}`}>{a.definition ?? 'run'}</Link> : '—'}
                  </td>
                  <td>{when(a.lastRaisedAt)}</td>
                  <td>{a.acknowledgedAt ? `${a.acknowledgedBy ?? ''} ${when(a.acknowledgedAt)}` : '—'}</td>
                  <td>
                    {can.operate && a.status === 'OPEN' ? <AckButton alert={a} onDone={reload} /> : null}{' '}
                    {can.operate && a.status !== 'RESOLVED' ? <SilenceButton alert={a} onDone={reload} /> : null}{' '}
                    {can.operate && a.status === 'ACKNOWLEDGED' ? <UnackButton alert={a} onDone={reload} /> : null}
                    {a.silencedUntil && Date.parse(a.silencedUntil) > Date.now() ? (
                      <span className="muted"> silenced until {when(a.silencedUntil)}</span>
                    ) : null}
                    {a.comments.length ? (
                      <ul className="muted" aria-label="Comments">
                        {a.comments.map((c, i) => (
                          <li key={i}>
                            {c.action} by {c.by} {when(c.at)}: {c.text}
                          </li>
                        ))}
                      </ul>
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

function AckButton({ alert, onDone }: { alert: Alert; onDone: () => void }) {
  const comment = useRef<HTMLTextAreaElement>(null);
  return (
    <ConfirmButton
      label={`Acknowledge ${alert.kind}`}
      className="outline"
      question={`Acknowledge "${alert.message}"? Nobody is notified of it again.`}
      action={() => {
        const text = comment.current?.value.trim();
        return api('POST', `/alerts/${alert.id}/ack`, text ? { comment: text } : undefined);
      }}
      onDone={onDone}
    >
      <label>
        Comment (what you are doing about it)
        <textarea ref={comment} name="comment" rows={2} />
      </label>
    </ConfirmButton>
  );
}

function SilenceButton({ alert, onDone }: { alert: Alert; onDone: () => void }) {
  const minutes = useRef<HTMLInputElement>(null);
  const comment = useRef<HTMLTextAreaElement>(null);
  return (
    <ConfirmButton
      label={`Silence ${alert.kind}`}
      className="secondary outline"
      question={`Silence "${alert.message}"? Raised again meanwhile, it is counted but notifies no one.`}
      action={() =>
        api('POST', `/alerts/${alert.id}/silence`, {
          minutes: Number(minutes.current?.value),
          comment: comment.current?.value.trim() ?? '',
        })
      }
      onDone={onDone}
    >
      <label>
        Minutes (1 to 43200)
        <input ref={minutes} name="minutes" type="number" min={1} max={43200} defaultValue={60} required />
      </label>
      <label>
        Comment (why)
        <textarea ref={comment} name="comment" rows={2} required />
      </label>
    </ConfirmButton>
  );
}

function UnackButton({ alert, onDone }: { alert: Alert; onDone: () => void }) {
  const comment = useRef<HTMLTextAreaElement>(null);
  return (
    <ConfirmButton
      label={`Un-acknowledge ${alert.kind}`}
      className="secondary outline"
      question={`Open "${alert.message}" again? It notifies as an open alert does.`}
      action={() => api('POST', `/alerts/${alert.id}/unack`, { comment: comment.current?.value.trim() ?? '' })}
      onDone={onDone}
    >
      <label>
        Comment (why)
        <textarea ref={comment} name="comment" rows={2} required />
      </label>
    </ConfirmButton>
  );
}

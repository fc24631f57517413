import { useRef, useState } from 'react';
import { api, query } from '../api.js';
import { Link } from '../router.js';
import { useCan } from '../session.js';
import { when } from '../time.js';
import type { Alert, Page } from '../types.js';
import { ConfirmButton, Empty, Loading, Pager, Problem, StateBadge, useLoad } from '../ui.js';

export function AlertsPage() {
  const can = useCan();
  const [status, setStatus] = useState('OPEN');
  const [cursor, setCursor] = useState<string>();
  const { data, error, reload } = useLoad(
    () => api<Page<Alert>>('GET', `/alerts${query({ status, cursor, limit: 50 })}`),
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
          <option value="OPEN">OPEN</option>
          <option value="ACKNOWLEDGED">ACKNOWLEDGED</option>
          <option value="RESOLVED">RESOLVED</option>
          <option value="">any</option>
        </select>
      </label>
      <Problem error={error} />
      {!data ? (
        <Loading what="alerts" />
      ) : data.items.length === 0 ? (
        <Empty>
          No {status.toLowerCase() || ''} alerts. Alerts appear when a run fails, runs late or does not reconcile.
        </Empty>
      ) : (
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
            {data.items.map((a) => (
              <tr key={a.id} data-testid={`alert-${a.id}`}>
                <td>{a.kind}</td>
                <td>
                  <StateBadge state={a.status} />
                </td>
                <td>
                  {a.message}
                  {a.occurrences > 1 ? <span className="muted"> ({a.occurrences} times)</span> : null}
                </td>
                <td>{a.groupRunId ? <Link to={`/group-runs/${a.groupRunId}`}>{a.definition ?? 'run'}</Link> : '—'}</td>
                <td>{when(a.lastRaisedAt)}</td>
                <td>{a.acknowledgedAt ? `${a.acknowledgedBy ?? ''} ${when(a.acknowledgedAt)}` : '—'}</td>
                <td>{can.operate && a.status === 'OPEN' ? <AckButton alert={a} onDone={reload} /> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager next={data?.nextCursor} cursor={cursor} go={setCursor} />
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

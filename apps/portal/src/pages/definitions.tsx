import { useState } from 'react';
import { api } from '../api.js';
import { PagedListBody, usePagedList } from '../paged-list.js';
import { Link, navigate } from '../router.js';
import { useCan } from '../session.js';
import { when } from '../time.js';
import type { Definition } from '../types.js';
import { ConfirmButton } from '../ui.js';

/** Its messages, its schedule and its upstreams: whatever starts it. */
const triggeredBy = (d: Definition) => [
  ...d.bindings.map((b) => `${b.source}/${b.event}`),
  ...(d.schedule ? [d.schedule.cron ? `cron ${d.schedule.cron}` : `every ${d.schedule.everySeconds} s`] : []),
  ...(d.dependsOn ?? []).map((u) => `after ${u.definition}`),
];

export function DefinitionsPage() {
  const can = useCan();
  const [filter, setFilter] = useState('');
  const [archived, setArchived] = useState(false);
  const [message, setMessage] = useState<string>();
  const list = usePagedList<Definition>('/definitions', { archived: archived ? 'true' : undefined, limit: 100 });
  const { data, reload } = list;
  const act = async (what: string, path: string, body?: unknown) => {
    try {
      await api('POST', path, body);
      setMessage(what);
      reload();
    } catch (e) {
      setMessage(`${what} failed: ${(e as Error).message}`);
    }
  };
  const shown = (data?.items ?? []).filter((d) =>
    `${d.name} ${d.description ?? ''} ${d.bindings.map((b) => `${b.source} ${b.event}`).join(' ')}`
      .toLowerCase()
      .includes(filter.toLowerCase()),
  );
  return (
    <>
      <div className="grid">
        <label>
          Filter
          <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="name or event" />
        </label>
        <label>
          <input
            type="checkbox"
            role="switch"
            checked={archived}
            onChange={(e) => {
              list.go();
              setArchived(e.target.checked);
            }}
          />
          Archived definitions only
        </label>
        {can.write ? (
          <div>
            <button type="button" onClick={() => navigate('/definitions/new')}>
              New definition
            </button>
          </div>
        ) : null}
      </div>
      {message ? (
        <p role="status" className="muted">
          {message}
        </p>
      ) : null}
      <PagedListBody
        list={list}
        what="definitions"
        items={shown}
        empty={
          archived && data?.items.length === 0
            ? 'No archived definitions.'
            : data?.items.length === 0
              ? 'No definitions yet: create one with New definition (an administrator can).'
              : 'None match the filter.'
        }
        render={(definitions) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Mode</th>
                <th scope="col">Triggered by</th>
                <th scope="col">Version</th>
                <th scope="col">Updated</th>
                <th scope="col">Enabled</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {definitions.map((d) => (
                <tr key={d.id}>
                  <td>
                    <Link to={`/definitions/${d.id}`}>{d.name}</Link>
                  </td>
                  <td>{d.mode}</td>
                  <td>{triggeredBy(d).join(', ')}</td>
                  <td>
                    {d.version} <Link to={`/definitions/${d.id}/history`}>History of {d.name}</Link>
                  </td>
                  <td>{when(d.updatedAt)}</td>
                  <td>{d.archivedAt ? `archived ${when(d.archivedAt)}` : d.enabled ? 'yes' : 'paused'}</td>
                  <td>
                    {can.operate && !d.archivedAt ? (
                      <>
                        {d.enabled ? (
                          <button
                            type="button"
                            className="secondary outline"
                            onClick={() => act(`${d.name} paused`, `/definitions/${d.id}/pause`)}
                          >
                            Pause {d.name}
                          </button>
                        ) : (
                          <button
                            type="button"
                            className="secondary outline"
                            onClick={() => act(`${d.name} resumed`, `/definitions/${d.id}/resume`)}
                          >
                            Resume {d.name}
                          </button>
                        )}{' '}
                        <button
                          type="button"
                          className="outline"
                          onClick={() => act(`${d.name} started by hand`, `/definitions/${d.id}/runs`, {})}
                        >
                          Run {d.name} now
                        </button>
                      </>
                    ) : null}{' '}
                    {can.write ? (
                      d.archivedAt ? (
                        <ConfirmButton
                          label={`Unarchive ${d.name}`}
                          className="secondary outline"
                          question={`Unarchive ${d.name}? It matches triggers again.`}
                          action={() => api('POST', `/definitions/${d.id}/unarchive`)}
                          onDone={reload}
                        />
                      ) : (
                        <ConfirmButton
                          label={`Archive ${d.name}`}
                          className="secondary outline"
                          question={`Archive ${d.name}? It then matches no trigger and starts no run; nothing is deleted.`}
                          action={() => api('POST', `/definitions/${d.id}/archive`)}
                          onDone={reload}
                        />
                      )
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

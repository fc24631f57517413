import { type FormEvent, useState } from 'react';
import { PagedListBody, usePagedList } from '../paged-list.js';
import { when } from '../time.js';
import type { AuditEvent } from '../types.js';

/** Who changed what and when (and every login), newest first. */
export function AuditPage() {
  const [filters, setFilters] = useState<Record<string, string | undefined>>({});
  const list = usePagedList<AuditEvent>('/audit', { ...filters, limit: 50 });
  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    list.go();
    setFilters({
      actor: String(f.get('actor') ?? '') || undefined,
      action: String(f.get('action') ?? '') || undefined,
    });
  };
  return (
    <>
      <form onSubmit={apply} aria-label="Filter the audit log">
        <fieldset className="grid">
          <label>
            Actor
            <input name="actor" placeholder="user:alice" />
          </label>
          <label>
            Action
            <input name="action" placeholder="definition.update" />
          </label>
        </fieldset>
        <button type="submit">Filter</button>
      </form>
      <PagedListBody
        list={list}
        what="the audit log"
        empty={<>Nothing recorded yet: logins and changes made through the admin API appear here.</>}
        render={(events) => (
          <table>
            <thead>
              <tr>
                <th scope="col">At</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Object</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td>{when(e.at)}</td>
                  <td>{e.actor}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>
                    {e.objectType} {e.objectId ?? ''}
                  </td>
                  <td>
                    <details>
                      <summary>changes</summary>
                      <pre>{JSON.stringify({ before: e.before, after: e.after, detail: e.detail }, null, 2)}</pre>
                    </details>
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

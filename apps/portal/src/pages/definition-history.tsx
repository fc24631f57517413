import { type FormEvent, useState } from 'react';
import { api, query } from '../api.js';
import { Link } from '../router.js';
import { when } from '../time.js';
import type { Definition, DefinitionDiff, DefinitionVersion, Page } from '../types.js';
import { Empty, Loading, Problem, useLoad } from '../ui.js';
import type { PageProps } from './index.js';

/** A value of a diff: JSON, or "absent" where that version has none. */
const shown = (present: boolean, v: unknown) => (present ? JSON.stringify(v) : 'absent');

/** A definition's stored versions (each create, update, pause and resume) and what changed between two. */
export function DefinitionHistoryPage({ params }: PageProps) {
  const id = encodeURIComponent(params.id);
  const { data, error } = useLoad(
    async () => ({
      definition: await api<Definition>('GET', `/definitions/${id}`),
      versions: (await api<Page<DefinitionVersion>>('GET', `/definitions/${id}/versions`)).items,
    }),
    [id],
  );
  const [pair, setPair] = useState<{ from: number; to: number }>();
  if (!data) return error ? <Problem error={error} /> : <Loading what="the versions" />;
  const { definition, versions } = data;
  // By default: the latest change (the version before the newest, to the newest).
  const chosen = pair ?? (versions.length > 1 ? { from: versions[1].version, to: versions[0].version } : undefined);
  const compare = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setPair({ from: Number(f.get('from')), to: Number(f.get('to')) });
  };
  return (
    <>
      <p>
        <Link to={`/definitions/${definition.id}`}>{definition.name}</Link> · now version {definition.version}
        {definition.archivedAt ? ` · archived ${when(definition.archivedAt)}` : ''}
      </p>
      <section aria-labelledby="versions">
        <h2 id="versions">Versions</h2>
        {versions.length === 0 ? (
          <Empty>No stored versions.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Stored</th>
                <th scope="col">Enabled</th>
                <th scope="col">Targets</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => {
                const spec = (v.spec ?? {}) as { enabled?: boolean; target?: { urls?: string[] } };
                return (
                  <tr key={v.version}>
                    <td>{v.version}</td>
                    <td>{when(v.createdAt)}</td>
                    <td>{spec.enabled === false ? 'paused' : 'yes'}</td>
                    <td>{(spec.target?.urls ?? []).join(', ')}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="diff">
        <h2 id="diff">Differences</h2>
        {versions.length < 2 || !chosen ? (
          <Empty>One version only: nothing to compare yet.</Empty>
        ) : (
          <>
            <form onSubmit={compare} aria-label="Compare versions" key={`${chosen.from}-${chosen.to}`}>
              <fieldset className="grid">
                <label>
                  From version
                  <select name="from" defaultValue={chosen.from}>
                    {versions.map((v) => (
                      <option key={v.version} value={v.version}>
                        {v.version}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  To version
                  <select name="to" defaultValue={chosen.to}>
                    {versions.map((v) => (
                      <option key={v.version} value={v.version}>
                        {v.version}
                      </option>
                    ))}
                  </select>
                </label>
              </fieldset>
              <button type="submit">Compare</button>
            </form>
            <Diff id={id} from={chosen.from} to={chosen.to} />
          </>
        )}
      </section>
    </>
  );
}

function Diff({ id, from, to }: { id: string; from: number; to: number }) {
  const { data, error } = useLoad(
    () => api<DefinitionDiff>('GET', `/definitions/${id}/diff${query({ from, to })}`),
    [id, from, to],
  );
  if (!data) return error ? <Problem error={error} /> : <Loading what="the differences" />;
  if (data.changes.length === 0)
    return (
      <Empty>
        Versions {from} and {to} store the same definition.
      </Empty>
    );
  return (
    <table aria-label={`Changes from version ${from} to ${to}`}>
      <thead>
        <tr>
          <th scope="col">Path</th>
          <th scope="col">Version {from}</th>
          <th scope="col">Version {to}</th>
        </tr>
      </thead>
      <tbody>
        {data.changes.map((c) => (
          <tr key={c.path} data-testid={`change-${c.path}`}>
            <td>
              <code>{c.path}</code>
            </td>
            <td>
              <del>{shown('before' in c, c.before)}</del>
            </td>
            <td>
              <ins>{shown('after' in c, c.after)}</ins>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

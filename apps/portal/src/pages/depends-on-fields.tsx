import { useState } from 'react';
import { api, query } from '../api.js';
import type { Definition, DefinitionSpec, Dependency, Page } from '../types.js';
import { useLoad } from '../ui.js';

// The definition form's dependsOn (issue 14): rows come and go, each read from the form's FormData in order.

/** The paths these fields show their errors for (the form lists the others apart). */
export const DEPENDS_ON_FIELDS = ['dependsOn', 'dependsOn.definition', 'dependsOn.policy'];

/** The upstreams the form lists (rows with a name), in their order; undefined when none. */
export function readDependsOn(f: FormData): Dependency[] | undefined {
  const policies = f.getAll('dependsOnPolicy').map(String);
  const rows = f
    .getAll('dependsOnDefinition')
    .map((d, i) => ({ definition: String(d).trim(), policy: policies[i] as Dependency['policy'] }))
    .filter((d) => d.definition);
  return rows.length ? rows : undefined;
}

export function DependsOnFields(props: {
  start: DefinitionSpec;
  self: string | undefined;
  errors: string | undefined;
  disabled: boolean;
}) {
  const [rows, setRows] = useState(() => (props.start.dependsOn ?? []).map((d, key) => ({ key, ...d })));
  const [nextKey, setNextKey] = useState(rows.length);
  const definitions = useLoad(() => api<Page<Definition>>('GET', `/definitions${query({ limit: 500 })}`), []);
  const names = (definitions.data?.items ?? []).map((d) => d.name).filter((n) => n !== props.self);
  const invalid = props.errors ? { 'aria-invalid': true as const, 'aria-describedby': 'dependsOn-error' } : {};
  return (
    <fieldset aria-label="Depends on">
      <legend>
        <strong>Depends on</strong>{' '}
        <span className="muted">(fires for a business date once each of these succeeded for it)</span>
      </legend>
      <datalist id="definition-names">
        {names.map((n) => (
          <option key={n} value={n} />
        ))}
      </datalist>
      {rows.map((r, i) => (
        <div className="grid" key={r.key}>
          <label>
            Upstream definition {i + 1}
            <input
              name="dependsOnDefinition"
              list="definition-names"
              defaultValue={r.definition}
              disabled={props.disabled}
              {...invalid}
            />
          </label>
          <label>
            Policy {i + 1}
            <select name="dependsOnPolicy" defaultValue={r.policy ?? 'ONCE_PER_DATE'} disabled={props.disabled}>
              <option value="ONCE_PER_DATE">once per business date</option>
              <option value="EVERY_UPSTREAM_SUCCESS">again on every upstream success</option>
            </select>
          </label>
          <div>
            <button
              type="button"
              className="secondary outline"
              disabled={props.disabled}
              onClick={() => setRows(rows.filter((x) => x.key !== r.key))}
            >
              Remove upstream {i + 1}
            </button>
          </div>
        </div>
      ))}
      {props.errors ? (
        <small id="dependsOn-error" className="field-error">
          {props.errors}
        </small>
      ) : null}
      {props.disabled ? null : (
        <button
          type="button"
          className="secondary outline"
          onClick={() => {
            setRows([...rows, { key: nextKey, definition: '' }]);
            setNextKey(nextKey + 1);
          }}
        >
          Add an upstream
        </button>
      )}
    </fieldset>
  );
}

import { type FormEvent, type ReactElement, useState } from 'react';
import { checkDefinitionSpec } from 'virtual:schema-checks';
import { api, ApiFailure, type FieldProblem } from '../api.js';
import { Link, navigate } from '../router.js';
import { useCan } from '../session.js';
import type { Definition, DefinitionSpec } from '../types.js';
import { Loading, Problem, ProblemList, useLoad } from '../ui.js';
import { DependenciesPanel, SchedulePanel } from './definition-schedule.js';
import { DEPENDS_ON_FIELDS, DependsOnFields, readDependsOn } from './depends-on-fields.js';
import type { PageProps } from './index.js';
import { readSchedule, SCHEDULE_FIELDS, ScheduleFields } from './schedule-fields.js';

const BLANK: DefinitionSpec = {
  name: '',
  bindings: [{ source: '', event: '' }],
  mode: 'ASYNC',
  target: { urls: [''] },
  pollIntervalSeconds: 30,
  retry: { maxAttempts: 3, initialDelaySeconds: 10, factor: 2, maxDelaySeconds: 600 },
  attemptTimeoutSeconds: 300,
  enabled: true,
};

/** The field an error path belongs to: list indexes dropped (`target.urls[1]` → `target.urls`). */
const fieldOf = (path: string) => path.replace(/\[\d+\]/g, '');

/** The API's schema errors (the same Ajv schema, compiled at build time), in the API's path spelling. */
function schemaProblems(spec: unknown): FieldProblem[] {
  if (checkDefinitionSpec(spec)) return [];
  return (checkDefinitionSpec.errors ?? []).map((e) => {
    let path = e.instancePath.split('/').slice(1).join('.');
    if (e.keyword === 'required') path = [path, String(e.params.missingProperty)].filter(Boolean).join('.');
    if (e.keyword === 'additionalProperties')
      path = [path, String(e.params.additionalProperty)].filter(Boolean).join('.');
    return { path: path.replace(/\.(\d+)/g, '[$1]') || '(body)', problem: e.message ?? 'is invalid' };
  });
}

export function DefinitionFormPage({ params }: PageProps) {
  const isNew = params.id === undefined;
  const { data, error, reload } = useLoad(
    () => (isNew ? Promise.resolve(undefined) : api<Definition>('GET', `/definitions/${params.id}`)),
    [params.id],
  );
  if (!isNew && !data) return error ? <Problem error={error} /> : <Loading what="the definition" />;
  return (
    <>
      {data?.schedule ? <SchedulePanel definition={data} /> : null}
      {data ? <DependenciesPanel definition={data} /> : null}
      {/* Read again once saved: the next save sends the new version, the panels show the new schedule. */}
      <DefinitionForm key={params.id ?? 'new'} existing={data} onSaved={reload} />
    </>
  );
}

function DefinitionForm({ existing, onSaved }: { existing: Definition | undefined; onSaved: () => void }) {
  const can = useCan();
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [failure, setFailure] = useState<string>();
  const start: DefinitionSpec = existing ?? BLANK;
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const num = (k: string) => (f.get(k) === '' ? undefined : Number(f.get(k)));
    const text = (k: string) => String(f.get(k) ?? '').trim();
    const {
      id: _id,
      version: _v,
      createdAt: _c,
      updatedAt: _u,
      archivedAt: _a,
      ...kept
    } = (existing ?? BLANK) as Definition;
    const description = text('description');
    const binding = { source: text('source'), event: text('event') };
    const spec = {
      ...kept,
      name: text('name'),
      ...(description ? { description } : { description: undefined }),
      mode: text('mode'),
      // None at all when both are left empty: a definition started by its schedule or its upstreams only.
      bindings: binding.source || binding.event ? [binding] : [],
      schedule: readSchedule(f),
      dependsOn: readDependsOn(f),
      target: {
        ...kept.target,
        urls: text('urls')
          .split(/\s*,\s*|\s+/)
          .filter(Boolean),
      },
      pollIntervalSeconds: num('pollIntervalSeconds'),
      retry: { ...kept.retry, maxAttempts: num('maxAttempts') },
      attemptTimeoutSeconds: num('attemptTimeoutSeconds'),
      enabled: f.get('enabled') === 'on',
    };
    const clean = JSON.parse(JSON.stringify(spec));
    const found = schemaProblems(clean);
    setProblems(found);
    setFailure(undefined);
    if (found.length) return;
    try {
      // The version it was read at: the API refuses an update without it, and another one with 409.
      const saved = existing
        ? await api<Definition>('PUT', `/definitions/${existing.id}`, { ...clean, version: existing.version })
        : await api<Definition>('POST', '/definitions', clean);
      navigate(`/definitions/${saved.id}`);
      onSaved();
      setFailure(`Saved as version ${saved.version}.`);
    } catch (err) {
      if (err instanceof ApiFailure && err.details.length) setProblems(err.details);
      setFailure(err instanceof Error ? err.message : String(err));
    }
  };
  const errorsFor = (...fields: string[]) => {
    const mine = problems.filter((p) => fields.includes(fieldOf(p.path)));
    return mine.length ? mine.map((p) => `${p.path} ${p.problem}`).join('; ') : undefined;
  };
  const unplaced = problems.filter((p) => !FIELDS.includes(fieldOf(p.path)));
  const field = (name: string, label: string, paths: string[], input: ReactElement) => {
    const err = errorsFor(...paths);
    return (
      <label>
        {label}
        {input}
        {err ? (
          <small id={`${name}-error`} className="field-error">
            {err}
          </small>
        ) : null}
      </label>
    );
  };
  const inv = (paths: string[]) => (errorsFor(...paths) ? { 'aria-invalid': true as const } : {});
  const described = (name: string, paths: string[]) =>
    errorsFor(...paths) ? { 'aria-describedby': `${name}-error` } : {};
  const attrs = (name: string, paths: string[]) => ({
    name,
    ...inv(paths),
    ...described(name, paths),
    disabled: !can.write,
  });
  return (
    <form onSubmit={submit} noValidate aria-label={existing ? `Edit ${existing.name}` : 'New definition'}>
      {existing ? (
        <p className="muted">
          Version {existing.version}; saving makes version {existing.version + 1}.{' '}
          <Link to={`/definitions/${existing.id}/history`}>Its history</Link>
          {existing.archivedAt ? ' · archived: it matches no trigger' : ''}
        </p>
      ) : null}
      {field('name', 'Name', ['name'], <input {...attrs('name', ['name'])} defaultValue={start.name} />)}
      {field(
        'description',
        'Description',
        ['description'],
        <input {...attrs('description', ['description'])} defaultValue={start.description ?? ''} />,
      )}
      <div className="grid">
        {field(
          'mode',
          'Mode',
          ['mode'],
          <select {...attrs('mode', ['mode'])} defaultValue={start.mode}>
            <option value="ASYNC">ASYNC (the downstream calls back)</option>
            <option value="SYNC">SYNC (the answer is the result)</option>
          </select>,
        )}
        {field(
          'source',
          'Trigger source',
          ['bindings', 'bindings.source'],
          <input {...attrs('source', ['bindings', 'bindings.source'])} defaultValue={start.bindings[0]?.source} />,
        )}
        {field(
          'event',
          'Trigger event',
          ['bindings.event'],
          <input {...attrs('event', ['bindings.event'])} defaultValue={start.bindings[0]?.event} />,
        )}
      </div>
      {field(
        'urls',
        'Target URLs (separated by commas)',
        ['target', 'target.urls'],
        <input {...attrs('urls', ['target', 'target.urls'])} defaultValue={start.target.urls.join(', ')} />,
      )}
      <div className="grid">
        {field(
          'pollIntervalSeconds',
          'Poll interval (s)',
          ['pollIntervalSeconds'],
          <input
            type="number"
            step="any"
            {...attrs('pollIntervalSeconds', ['pollIntervalSeconds'])}
            defaultValue={start.pollIntervalSeconds}
          />,
        )}
        {field(
          'maxAttempts',
          'Attempts',
          ['retry', 'retry.maxAttempts'],
          <input
            type="number"
            {...attrs('maxAttempts', ['retry', 'retry.maxAttempts'])}
            defaultValue={start.retry?.maxAttempts}
          />,
        )}
        {field(
          'attemptTimeoutSeconds',
          'Attempt timeout (s)',
          ['attemptTimeoutSeconds'],
          <input
            type="number"
            {...attrs('attemptTimeoutSeconds', ['attemptTimeoutSeconds'])}
            defaultValue={start.attemptTimeoutSeconds}
          />,
        )}
      </div>
      <ScheduleFields start={start} field={field} attrs={attrs} disabled={!can.write} />
      <DependsOnFields
        start={start}
        self={existing?.name}
        errors={errorsFor(...DEPENDS_ON_FIELDS)}
        disabled={!can.write}
      />
      <label>
        <input type="checkbox" role="switch" name="enabled" defaultChecked={start.enabled} disabled={!can.write} />
        Enabled (a paused definition takes no triggers)
      </label>
      <ProblemList problems={unplaced} />
      {failure ? (
        <p role="status" className={problems.length ? 'field-error' : 'muted'}>
          {failure}
        </p>
      ) : null}
      {can.write ? <button type="submit">{existing ? 'Save' : 'Create'}</button> : null}
    </form>
  );
}

const FIELDS = [
  'name',
  'description',
  'mode',
  'bindings',
  'bindings.source',
  'bindings.event',
  'target',
  'target.urls',
  'pollIntervalSeconds',
  'retry',
  'retry.maxAttempts',
  'attemptTimeoutSeconds',
  ...SCHEDULE_FIELDS,
  ...DEPENDS_ON_FIELDS,
];

import { type FormEvent, type ReactNode, useState } from 'react';
import { api, ApiFailure, type FieldProblem } from '../api.js';
import { navigate } from '../router.js';
import { useCan } from '../session.js';
import type { Calendar, CalendarPut } from '../types.js';
import { Loading, Problem, ProblemList, useLoad } from '../ui.js';
import { WEEKDAYS } from './calendars.js';
import type { PageProps } from './index.js';

const BLANK: CalendarPut = { name: '', holidays: [], businessDays: [1, 2, 3, 4, 5], exclusions: [] };

export function CalendarFormPage({ params }: PageProps) {
  const isNew = params.name === undefined;
  const { data, error, reload } = useLoad(
    () => (isNew ? Promise.resolve(undefined) : api<Calendar>('GET', `/calendars/${encodeURIComponent(params.name)}`)),
    [params.name],
  );
  if (!isNew && !data) return error ? <Problem error={error} /> : <Loading what="the calendar" />;
  return <CalendarForm key={`${params.name ?? 'new'}-${data?.version}`} existing={data} onSaved={reload} />;
}

/** The field an error path belongs to: list indexes dropped (`holidays[2]` → `holidays`). */
const fieldOf = (path: string) => path.replace(/\[\d+\].*$/, '');

/** Lists held in state (rows come and go); the form reads them from here, not from FormData. */
function CalendarForm({ existing, onSaved }: { existing: Calendar | undefined; onSaved: () => void }) {
  const can = useCan();
  const start = existing ?? BLANK;
  const [holidays, setHolidays] = useState(start.holidays ?? []);
  const [days, setDays] = useState(new Set(start.businessDays ?? [1, 2, 3, 4, 5]));
  const [windows, setWindows] = useState(start.exclusions ?? []);
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [message, setMessage] = useState<string>();
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const name = existing?.name ?? String(f.get('name') ?? '').trim();
    const description = String(f.get('description') ?? '').trim();
    const body: CalendarPut = {
      name,
      ...(description ? { description } : {}),
      holidays: holidays.filter(Boolean),
      businessDays: [...days].sort(),
      exclusions: windows,
      // The version read: another admin's save in between gets 409, not overwritten. None: create.
      ...(existing ? { version: existing.version } : {}),
    };
    setProblems([]);
    setMessage(undefined);
    if (!name) return setProblems([{ path: 'name', problem: 'is required' }]);
    try {
      const saved = await api<Calendar>('PUT', `/calendars/${encodeURIComponent(name)}`, body);
      if (existing) onSaved();
      else navigate(`/calendars/${encodeURIComponent(saved.name)}`);
    } catch (err) {
      if (err instanceof ApiFailure) setProblems(err.details);
      setMessage(err instanceof ApiFailure ? `${err.code}: ${err.message}` : String(err));
    }
  };
  const errorsFor = (field: string) => {
    const mine = problems.filter((p) => fieldOf(p.path) === field);
    return mine.length ? mine.map((p) => `${p.path} ${p.problem}`).join('; ') : undefined;
  };
  const errorText = (field: string) => {
    const err = errorsFor(field);
    return err ? (
      <small id={`${field}-error`} className="field-error">
        {err}
      </small>
    ) : null;
  };
  const invalid = (field: string) =>
    errorsFor(field) ? { 'aria-invalid': true as const, 'aria-describedby': `${field}-error` } : {};
  const unplaced = problems.filter((p) => !FIELDS.includes(fieldOf(p.path)));
  const disabled = !can.write;
  return (
    <form onSubmit={submit} noValidate aria-label={existing ? `Edit ${existing.name}` : 'New calendar'}>
      {existing ? <p className="muted">Version {existing.version}; saving makes the next one.</p> : null}
      <label>
        Name (lower case, digits and dashes)
        <input name="name" defaultValue={start.name} disabled={disabled || !!existing} {...invalid('name')} />
        {errorText('name')}
      </label>
      <label>
        Description
        <input name="description" defaultValue={start.description ?? ''} disabled={disabled} />
      </label>
      <fieldset aria-describedby={errorsFor('businessDays') ? 'businessDays-error' : undefined}>
        <legend>Business days (a schedule fires on these only)</legend>
        {WEEKDAYS.map((d, i) => (
          <label key={d}>
            <input
              type="checkbox"
              checked={days.has(i + 1)}
              disabled={disabled}
              onChange={(e) => {
                const next = new Set(days);
                if (e.target.checked) next.add(i + 1);
                else next.delete(i + 1);
                setDays(next);
              }}
            />
            {d}
          </label>
        ))}
        {errorText('businessDays')}
      </fieldset>
      <Rows
        legend="Holidays (no fire on these dates, in the schedule's zone)"
        add="Add a holiday"
        disabled={disabled}
        error={errorText('holidays')}
        onAdd={() => setHolidays([...holidays, ''])}
      >
        {holidays.map((h, i) => (
          <div className="grid" key={i}>
            <label>
              Holiday {i + 1}
              <input
                type="date"
                value={h}
                disabled={disabled}
                {...invalid('holidays')}
                onChange={(e) => setHolidays(holidays.map((x, j) => (j === i ? e.target.value : x)))}
              />
            </label>
            <Remove
              what={`holiday ${i + 1}`}
              disabled={disabled}
              onClick={() => setHolidays(holidays.filter((_, j) => j !== i))}
            />
          </div>
        ))}
      </Rows>
      <Rows
        legend="Excluded windows (daily, from inclusive to exclusive; from after to wraps midnight)"
        add="Add a window"
        disabled={disabled}
        error={errorText('exclusions')}
        onAdd={() => setWindows([...windows, { from: '00:00', to: '00:00' }])}
      >
        {windows.map((w, i) => (
          <div className="grid" key={i}>
            {(['from', 'to'] as const).map((end) => (
              <label key={end}>
                Window {i + 1} {end}
                <input
                  type="time"
                  value={w[end]}
                  disabled={disabled}
                  {...invalid('exclusions')}
                  onChange={(e) => setWindows(windows.map((x, j) => (j === i ? { ...x, [end]: e.target.value } : x)))}
                />
              </label>
            ))}
            <Remove
              what={`window ${i + 1}`}
              disabled={disabled}
              onClick={() => setWindows(windows.filter((_, j) => j !== i))}
            />
          </div>
        ))}
      </Rows>
      <ProblemList problems={unplaced} />
      <Problem error={message} />
      {can.write ? <button type="submit">{existing ? 'Save' : 'Create'}</button> : null}
    </form>
  );
}

const FIELDS = ['name', 'businessDays', 'holidays', 'exclusions'];

function Rows(props: {
  legend: string;
  add: string;
  disabled: boolean;
  error: ReactNode;
  onAdd: () => void;
  children: ReactNode;
}) {
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {props.children}
      {props.error}
      {props.disabled ? null : (
        <button type="button" className="secondary outline" onClick={props.onAdd}>
          {props.add}
        </button>
      )}
    </fieldset>
  );
}

function Remove(props: { what: string; disabled: boolean; onClick: () => void }) {
  return (
    <div>
      <button type="button" className="secondary outline" disabled={props.disabled} onClick={props.onClick}>
        Remove {props.what}
      </button>
    </div>
  );
}

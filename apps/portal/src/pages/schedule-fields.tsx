import { type MouseEvent, type ReactElement, useState } from 'react';
import { api, ApiFailure, type FieldProblem, query } from '../api.js';
import { when } from '../time.js';
import type { Calendar, DefinitionSpec, Page, Schedule, SchedulePreview } from '../types.js';
import { Problem, ProblemList, useLoad } from '../ui.js';

// The definition form's schedule (issue 14), read from the form's own FormData like its other fields, so
// the API's error paths (`schedule.cron`) land beside them.

type Field = (name: string, label: string, paths: string[], input: ReactElement) => ReactElement;
type Attrs = (
  name: string,
  paths: string[],
) => { name: string; disabled: boolean; 'aria-invalid'?: true; 'aria-describedby'?: string };

/** The paths these fields show their errors for (the form lists the others apart). */
export const SCHEDULE_FIELDS = [
  'schedule',
  'schedule.cron',
  'schedule.everySeconds',
  'schedule.timeZone',
  'schedule.calendar',
  'schedule.businessDate',
  'schedule.misfire',
  'schedule.misfireThresholdSeconds',
  'schedule.overlap',
];

type Kind = 'none' | 'cron' | 'every';

/** The schedule the form describes; undefined when it has none. Empty fields are left to the defaults. */
export function readSchedule(f: FormData): Schedule | undefined {
  const text = (k: string) => String(f.get(k) ?? '').trim() || undefined;
  const kind = text('scheduleKind') as Kind | undefined;
  if (!kind || kind === 'none') return undefined;
  const num = (k: string) => (text(k) === undefined ? undefined : Number(text(k)));
  return {
    ...(kind === 'cron' ? { cron: text('cron') } : { everySeconds: num('everySeconds') }),
    timeZone: text('timeZone'),
    calendar: text('calendar'),
    businessDate: text('businessDate') as Schedule['businessDate'],
    misfire: text('misfire') as Schedule['misfire'],
    misfireThresholdSeconds: num('misfireThresholdSeconds'),
    overlap: text('overlap') as Schedule['overlap'],
  };
}

const select = (options: string[]) =>
  options.map((o) => (
    <option key={o} value={o}>
      {o}
    </option>
  ));

export function ScheduleFields(props: { start: DefinitionSpec; field: Field; attrs: Attrs; disabled: boolean }) {
  const { start, field, attrs } = props;
  const s = start.schedule;
  const [kind, setKind] = useState<Kind>(s?.cron ? 'cron' : s?.everySeconds ? 'every' : 'none');
  const calendars = useLoad(() => api<Page<Calendar>>('GET', `/calendars${query({ limit: 500 })}`), []);
  const names = (calendars.data?.items ?? []).map((c) => c.name);
  // The definition's own calendar is an option from the first render, so the uncontrolled select starts on
  // it before the list arrives (and stays selectable if no longer listed: the API then says why).
  if (s?.calendar && !names.includes(s.calendar)) names.push(s.calendar);
  return (
    <fieldset aria-label="Schedule">
      <legend>
        <strong>Schedule</strong> <span className="muted">(fires by the clock, besides any message)</span>
      </legend>
      <div className="grid">
        <label>
          Fires
          <select
            name="scheduleKind"
            value={kind}
            onChange={(e) => setKind(e.target.value as Kind)}
            disabled={props.disabled}
          >
            <option value="none">never (no schedule)</option>
            <option value="cron">by a cron expression</option>
            <option value="every">every N seconds</option>
          </select>
        </label>
        {kind === 'cron'
          ? field(
              'cron',
              'Cron (5 or 6 fields, seconds first when 6)',
              ['schedule', 'schedule.cron'],
              <input {...attrs('cron', ['schedule', 'schedule.cron'])} defaultValue={s?.cron ?? ''} />,
            )
          : null}
        {kind === 'every'
          ? field(
              'everySeconds',
              'Every (s)',
              ['schedule', 'schedule.everySeconds'],
              <input
                type="number"
                {...attrs('everySeconds', ['schedule', 'schedule.everySeconds'])}
                defaultValue={s?.everySeconds ?? ''}
              />,
            )
          : null}
      </div>
      {kind === 'none' ? null : (
        <>
          <div className="grid">
            {field(
              'timeZone',
              'Time zone (IANA)',
              ['schedule.timeZone'],
              <input
                {...attrs('timeZone', ['schedule.timeZone'])}
                defaultValue={s?.timeZone ?? ''}
                placeholder="UTC"
              />,
            )}
            {field(
              'calendar',
              'Calendar',
              ['schedule.calendar'],
              <select {...attrs('calendar', ['schedule.calendar'])} defaultValue={s?.calendar ?? ''}>
                <option value="">none (every day)</option>
                {select(names)}
              </select>,
            )}
            {field(
              'businessDate',
              'Business date',
              ['schedule.businessDate'],
              <select {...attrs('businessDate', ['schedule.businessDate'])} defaultValue={s?.businessDate ?? ''}>
                <option value="">default (FIRE_DATE)</option>
                {select(['FIRE_DATE', 'PREVIOUS_BUSINESS_DAY'])}
              </select>,
            )}
          </div>
          <div className="grid">
            {field(
              'misfire',
              'Misfire',
              ['schedule.misfire'],
              <select {...attrs('misfire', ['schedule.misfire'])} defaultValue={s?.misfire ?? ''}>
                <option value="">default (FIRE_ONCE_NOW)</option>
                {select(['FIRE_ONCE_NOW', 'FIRE_ALL', 'SKIP'])}
              </select>,
            )}
            {field(
              'misfireThresholdSeconds',
              'Misfire after (s)',
              ['schedule.misfireThresholdSeconds'],
              <input
                type="number"
                {...attrs('misfireThresholdSeconds', ['schedule.misfireThresholdSeconds'])}
                defaultValue={s?.misfireThresholdSeconds ?? ''}
                placeholder="60"
              />,
            )}
            {field(
              'overlap',
              'Overlap',
              ['schedule.overlap'],
              <select {...attrs('overlap', ['schedule.overlap'])} defaultValue={s?.overlap ?? ''}>
                <option value="">default (ALLOW)</option>
                {select(['ALLOW', 'SKIP', 'QUEUE', 'REPLACE'])}
              </select>,
            )}
          </div>
          <Preview />
        </>
      )}
    </fieldset>
  );
}

/** "Preview next 10 fires": the schedule as the form has it now, through the API's own schedule math. */
function Preview() {
  const [fires, setFires] = useState<SchedulePreview['fires']>();
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);
  const preview = async (e: MouseEvent<HTMLButtonElement>) => {
    const form = e.currentTarget.form;
    if (!form) return;
    setBusy(true);
    setFires(undefined);
    setProblems([]);
    setFailure(undefined);
    try {
      const schedule = JSON.parse(JSON.stringify(readSchedule(new FormData(form))));
      setFires((await api<SchedulePreview>('POST', '/schedules/preview', { schedule, count: 10 })).fires);
    } catch (err) {
      if (err instanceof ApiFailure) setProblems(err.details);
      setFailure(err instanceof ApiFailure ? `${err.code}: ${err.message}` : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      <button type="button" className="secondary outline" aria-busy={busy} onClick={preview}>
        Preview next 10 fires
      </button>
      <Problem error={failure} />
      <ProblemList problems={problems} label="Preview problems" />
      {fires ? (
        fires.length === 0 ? (
          <p className="muted">No fire within five years.</p>
        ) : (
          <ol aria-label="Next fires">
            {fires.map((f) => (
              <li key={f.at}>
                {when(f.at)}{' '}
                <span className="muted">
                  ({f.local} in its zone · business date {f.businessDate})
                </span>
              </li>
            ))}
          </ol>
        )
      ) : null}
    </div>
  );
}

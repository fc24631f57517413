import { Cron } from 'croner';
import { CALENDAR_DEFAULTS, MAX_EVERY_SECONDS, SCHEDULE_DEFAULTS } from '#ferry/contracts';
import type { CalendarSpec, ScheduleSpec } from '#ferry/contracts';
import { isTimeZone, wallClockAt } from '../core/zones.js';

/**
 * The pure arithmetic of time triggers: times are epoch milliseconds, no clock, no I/O.
 *
 * Daylight saving follows croner (Vixie cron): a cron with one value in each of seconds, minutes and hours
 * ("fixed time", e.g. `30 2 * * *`) fires once a day: a time skipped by spring-forward fires at the first
 * valid instant after the gap (02:30 in New York → 03:00 EDT), a time repeated by fall-back fires at its
 * first occurrence only. Any other cron ("interval", e.g. `0 * * * *`) fires in real time: the skipped hour
 * does not exist, the repeated hour fires twice. `everySeconds` counts real seconds and ignores zones.
 */

const DAY_MS = 86_400_000;
/** "Within 5 years": how far nextFire looks before it answers null. */
const HORIZON_MS = 1827 * DAY_MS;
/** A calendar that excludes nearly everything could make nextFire jump for long; this bounds it. */
const MAX_JUMPS = 20_000;
/** Parsed crons kept: each holds croner's 10,000-entry year table (about 80 KB), so a few hundred, not thousands. */
const CACHE_SIZE = 256;
/** Zone offsets kept, one per zone and day: a thousand zones over a month, a few MB. */
const OFFSET_CACHE_SIZE = 30_000;
/** How far ahead a fixed-offset answer may be: checking the offset of each day costs after the first pass. */
const FIXED_OFFSET_REACH_MS = 35 * DAY_MS;
const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/UCT', 'UCT', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Universal', 'Zulu']);

export type SkipReason = 'MISFIRED' | 'MISFIRE_LIMIT';
export interface DuePlan {
  fire: number[];
  skipped: Array<{ at: number; reason: SkipReason }>;
  skippedUnlisted: number;
  next: number | null;
}

/** Problems with a schedule the JSON schema cannot see (bad cron, unknown zone): [{path, problem}] like ApiError.validation details. */
export function scheduleProblems(s: ScheduleSpec, path = 'schedule'): Array<{ path: string; problem: string }> {
  const problems: Array<{ path: string; problem: string }> = [];
  const zone = s.timeZone ?? SCHEDULE_DEFAULTS.timeZone;
  const zoneOk = isTimeZone(zone);
  if (!zoneOk) problems.push({ path: `${path}.timeZone`, problem: 'is not a known IANA time zone' });
  if ((s.cron === undefined) === (s.everySeconds === undefined)) {
    problems.push({ path, problem: 'must have exactly one of cron and everySeconds' });
  }
  if (s.everySeconds !== undefined && !isEvery(s.everySeconds)) {
    problems.push({ path: `${path}.everySeconds`, problem: `must be an integer from 1 to ${MAX_EVERY_SECONDS}` });
  }
  if (s.cron !== undefined) {
    const fields = s.cron.trim().split(/\s+/).length;
    if (fields !== 5 && fields !== 6) {
      problems.push({ path: `${path}.cron`, problem: 'must have 5 fields, or 6 with seconds first' });
    } else {
      try {
        // Epoch 0 as the start keeps the answer the same whenever it is asked.
        if (!new Cron(s.cron, cronOptions(zoneOk && !isUtc(zone) ? zone : 0)).nextRun(new Date(0))) {
          problems.push({ path: `${path}.cron`, problem: 'never fires' });
        }
      } catch (err) {
        problems.push({ path: `${path}.cron`, problem: `is not a valid cron expression: ${(err as Error).message}` });
      }
    }
  }
  return problems;
}

/** Problems with a calendar the JSON schema cannot see (a date that does not exist, an empty window). */
export function calendarProblems(c: CalendarSpec, path = 'calendar'): Array<{ path: string; problem: string }> {
  const problems: Array<{ path: string; problem: string }> = [];
  (c.holidays ?? []).forEach((d, i) => {
    if (dayNumber(d) === null) problems.push({ path: `${path}.holidays[${i}]`, problem: 'is not a date' });
  });
  (c.exclusions ?? []).forEach((w, i) => {
    if (w.from === w.to) problems.push({ path: `${path}.exclusions[${i}]`, problem: 'from and to must differ' });
  });
  return problems;
}

/** The first fire strictly after `after`, skipping fires the calendar excludes (non-business days, holidays, exclusion windows); null if none within 5 years. */
export function nextFire(s: ScheduleSpec, calendar: CalendarSpec | undefined, after: number): number | null {
  const limit = after + HORIZON_MS;
  const cal = calendar ? compiled(calendar) : undefined;
  let at = nextRaw(s, after);
  for (let jumps = 0; at !== null && at <= limit && jumps < MAX_JUMPS; jumps++) {
    const resume = cal ? excludedUntil(zoneOf(s), cal, at) : null;
    if (resume === null) return at;
    at = nextRaw(s, resume - 1);
  }
  return null;
}

/** The next `count` fires after `after` (preview for the admin API). */
export function nextFires(s: ScheduleSpec, calendar: CalendarSpec | undefined, after: number, count: number): number[] {
  const out: number[] = [];
  for (let at = nextFire(s, calendar, after); at !== null && out.length < count; at = nextFire(s, calendar, at)) {
    out.push(at);
  }
  return out;
}

/** The business date (YYYY-MM-DD) of a fire: its date in the schedule's zone, or the previous business day of the calendar (weekdays Mon–Fri when there is no calendar) when businessDate is PREVIOUS_BUSINESS_DAY. */
export function businessDateOf(s: ScheduleSpec, calendar: CalendarSpec | undefined, fireAt: number): string {
  const date = localTime(zoneOf(s), fireAt).date;
  if ((s.businessDate ?? SCHEDULE_DEFAULTS.businessDate) === 'FIRE_DATE') return date;
  const cal = compiled(calendar ?? WEEKDAYS);
  const day = dayNumber(date) as number;
  // Ten years back: a calendar with business days always finds one long before.
  for (let d = day - 1; d > day - 3660; d--) {
    if (cal.isBusinessDay(d)) return dateOfDay(d);
  }
  return date;
}

/** What to do with the fires due at `now`, the first of which was scheduled at `due` (<= now):
 *  fires within the threshold of now are fired as normal; older ones are misfires and the policy decides:
 *  FIRE_ONCE_NOW: fire only the latest missed one (now), the rest skipped with reason 'MISFIRED';
 *  FIRE_ALL: fire every missed one, at most `maxFires` (the oldest beyond it skipped 'MISFIRE_LIMIT');
 *  SKIP: all misfires skipped 'MISFIRED'. `skipped` lists at most `maxListed` fire times individually and counts the rest.
 *  `next` is the first fire after now (null if none). Several instances calling this with the same inputs get the same answer.
 *
 *  `fire` holds scheduled times (not `now`): they name the triggers, so two instances never fire one time under two names.
 *  FIRE_ONCE_NOW fires the latest misfire only when no fire is on time (an on-time fire is the "once now").
 *  Every policy fires at most `maxFires`: the oldest beyond it are skipped 'MISFIRE_LIMIT'. */
export function planDue(
  s: ScheduleSpec,
  calendar: CalendarSpec | undefined,
  due: number,
  now: number,
  opts: { maxFires?: number; maxListed?: number } = {},
): DuePlan {
  if (due > now) return { fire: [], skipped: [], skippedUnlisted: 0, next: due };
  const next = nextFire(s, calendar, now);
  const maxFires = Math.max(1, opts.maxFires ?? 100);
  const maxListed = Math.max(0, opts.maxListed ?? 100);
  const cut = now - 1000 * (s.misfireThresholdSeconds ?? SCHEDULE_DEFAULTS.misfireThresholdSeconds);
  const seq = dueFires(s, calendar, due, now, cut, maxListed, maxFires);
  const onTime = seq.count - seq.misfires;
  const policy = s.misfire ?? SCHEDULE_DEFAULTS.misfire;
  // Whatever the policy, the fires are the newest `kept` and the skipped the oldest `count - kept`.
  const wanted = policy === 'FIRE_ALL' ? seq.count : onTime > 0 || policy === 'SKIP' ? onTime : 1;
  const kept = Math.min(maxFires, wanted, seq.count);
  const skippedCount = seq.count - kept;
  const listed = Math.min(maxListed, skippedCount);
  return {
    fire: seq.tail.slice(seq.tail.length - kept),
    skipped: seq.head.slice(0, listed).map((at) => ({
      at,
      reason: at < cut && policy !== 'FIRE_ALL' ? 'MISFIRED' : 'MISFIRE_LIMIT',
    })),
    skippedUnlisted: skippedCount - listed,
    next,
  };
}

/** The fires in [due, now]: how many, how many before `cut`, the first `headSize` and the last `tailSize`. */
function dueFires(
  s: ScheduleSpec,
  calendar: CalendarSpec | undefined,
  due: number,
  now: number,
  cut: number,
  headSize: number,
  tailSize: number,
): { count: number; misfires: number; head: number[]; tail: number[] } {
  if (s.everySeconds !== undefined && !calendar) {
    // Arithmetic: `due`, then every multiple of the period after it; a long outage costs nothing to count.
    const p = s.everySeconds * 1000;
    const at = (i: number) => (i === 0 ? due : (Math.floor(due / p) + i) * p);
    const count = 1 + Math.floor(now / p) - Math.floor(due / p);
    const misfires = due >= cut ? 0 : 1 + Math.max(0, Math.floor((cut - 1) / p) - Math.floor(due / p));
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => at(from + k));
    return {
      count,
      misfires,
      head: range(0, Math.min(headSize, count)),
      tail: range(Math.max(0, count - tailSize), count),
    };
  }
  const head: number[] = [];
  const tail: number[] = [];
  let count = 0;
  let misfires = 0;
  for (let at: number | null = due; at !== null && at <= now; at = nextFire(s, calendar, at)) {
    count++;
    if (at < cut) misfires++;
    if (head.length < headSize) head.push(at);
    tail.push(at);
    if (tail.length > tailSize) tail.shift();
  }
  return { count, misfires, head, tail };
}

/** The next fire of the bare schedule (no calendar) strictly after `after`. */
function nextRaw(s: ScheduleSpec, after: number): number | null {
  if (s.everySeconds !== undefined) {
    const p = s.everySeconds * 1000;
    return (Math.floor(after / p) + 1) * p;
  }
  return nextCronRun(s.cron as string, zoneOf(s), after);
}

/**
 * When `at` is excluded by the calendar, the instant its exclusion ends (the next fire is looked for from
 * there); null when it is not excluded. Whole days end at the next local midnight, windows at their `to`.
 */
function excludedUntil(zone: string, cal: CompiledCalendar, at: number): number | null {
  const t = localTime(zone, at);
  if (!cal.isBusinessDay(t.day)) return wallClockAfter(zone, at, t.second, 0);
  let end = -1;
  for (const [from, to] of cal.windows) {
    const inside = from < to ? t.second >= from && t.second < to : t.second >= from || t.second < to;
    if (inside) end = Math.max(end, wallClockAfter(zone, at, t.second, to));
  }
  return end < 0 ? null : end;
}

/**
 * The first instant after `at` whose wall clock reads `target` (seconds of the day). Two answers, the earlier
 * wins: adding the wall-clock difference is right unless a spring-forward gap lies between (then it is too
 * late, and croner's fixed-time cron is right); croner's answer is too late only when `at` is in a repeated
 * fall-back hour after the first pass of `target` (then the difference is right). Never late means never
 * jumping over a fire; an early answer only means nextFire checks once more.
 */
function wallClockAfter(zone: string, at: number, second: number, target: number): number {
  const byDifference = at + ((target - second + 86400) % 86400 || 86400) * 1000;
  if (isUtc(zone)) return byDifference;
  const pattern = `${target % 60} ${Math.floor(target / 60) % 60} ${Math.floor(target / 3600)} * * *`;
  const byCron = nextCronRun(pattern, zone, at) ?? byDifference;
  return Math.min(byDifference, byCron);
}

interface CompiledCalendar {
  isBusinessDay(day: number): boolean;
  /** [from, to) in seconds of the day. */
  windows: Array<[number, number]>;
}

const WEEKDAYS: CalendarSpec = { name: 'weekdays' };
// Holidays as a Set once per calendar object, not per call: the fire loop asks many times a second. By identity:
// a calendar is a value, a changed one is a new object (and callers keep the loaded one, not reload per call).
const calendars = new WeakMap<CalendarSpec, CompiledCalendar>();

function compiled(c: CalendarSpec): CompiledCalendar {
  let hit = calendars.get(c);
  if (!hit) {
    const holidays = new Set((c.holidays ?? []).map(dayNumber));
    const weekdays = new Set<number>(c.businessDays ?? CALENDAR_DEFAULTS.businessDays);
    // Day 0 (1970-01-01) was a Thursday, ISO weekday 4.
    const isoWeekday = (day: number) => ((((day + 3) % 7) + 7) % 7) + 1;
    const seconds = (hm: string) => Number(hm.slice(0, 2)) * 3600 + Number(hm.slice(3, 5)) * 60;
    hit = {
      isBusinessDay: (day) => weekdays.has(isoWeekday(day)) && !holidays.has(day),
      windows: (c.exclusions ?? []).filter((w) => w.from !== w.to).map((w) => [seconds(w.from), seconds(w.to)]),
    };
    calendars.set(c, hit);
  }
  return hit;
}

/**
 * The next run of a cron on the wall clock of `zone`, strictly after `after`. croner's zone path asks Intl for
 * every candidate (about 80 µs a run); away from offset changes a zone is a fixed offset, which croner runs
 * about ten times faster. So the fixed offset answers when the zone keeps that offset from a day before
 * `after` to a day after the answer (no zone changes twice within a day), and croner's zone path otherwise,
 * which keeps its DST rules exactly where they matter.
 */
function nextCronRun(pattern: string, zone: string, after: number): number | null {
  if (isUtc(zone)) return cronFor(pattern, 0).nextRun(new Date(after))?.getTime() ?? null;
  const first = Math.floor(after / DAY_MS) - 1;
  const offset = offsetOnDay(zone, first);
  if (Number.isInteger(offset)) {
    const run = cronFor(pattern, offset).nextRun(new Date(after))?.getTime();
    if (run !== undefined && run - after <= FIXED_OFFSET_REACH_MS) {
      let day = first + 1;
      while (day <= Math.floor(run / DAY_MS) + 2 && offsetOnDay(zone, day) === offset) day++;
      if (day > Math.floor(run / DAY_MS) + 2) return run;
    }
  }
  return cronFor(pattern, zone).nextRun(new Date(after))?.getTime() ?? null;
}

/** Parsed crons by pattern and zone (or fixed offset in minutes), least recently used out first. */
const crons = new Map<string, Cron>();

function cronFor(pattern: string, where: string | number): Cron {
  const key = `${where} ${pattern}`;
  let hit = crons.get(key);
  if (hit) {
    crons.delete(key);
  } else {
    hit = new Cron(pattern, cronOptions(where));
    if (crons.size >= CACHE_SIZE) crons.delete(crons.keys().next().value as string);
  }
  crons.set(key, hit);
  return hit;
}

function cronOptions(where: string | number) {
  const place = typeof where === 'number' ? { utcOffset: where } : { timezone: where };
  return { ...place, paused: true, mode: '5-or-6-parts', domAndDow: false } as const;
}

/** A zone's offset (minutes east of UTC) at 00:00 UTC of a day; an offset change shows from one day to the next. */
const offsets = new Map<string, number>();

function offsetOnDay(zone: string, day: number): number {
  const key = `${zone} ${day}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const t = localTime(zone, day * DAY_MS);
    offset = ((t.day - day) * 86400 + t.second) / 60;
    if (offsets.size >= OFFSET_CACHE_SIZE) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

/** The date (as day number and text) and the second of the day of `at` on the wall clock of `zone`. */
function localTime(zone: string, at: number): { date: string; day: number; second: number } {
  if (isUtc(zone)) {
    const day = Math.floor(at / DAY_MS);
    return { date: dateOfDay(day), day, second: Math.floor((at - day * DAY_MS) / 1000) };
  }
  const w = wallClockAt(zone, at);
  return { date: w.date, day: dayNumber(w.date) as number, second: w.hour * 3600 + w.minute * 60 + w.second };
}

/** Days since 1970-01-01 of a 'YYYY-MM-DD' date; null when that date does not exist. */
function dayNumber(date: string): number | null {
  const ms = Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10));
  return Number.isFinite(ms) && dateOfDay(ms / DAY_MS) === date ? ms / DAY_MS : null;
}

function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function zoneOf(s: ScheduleSpec): string {
  return s.timeZone ?? SCHEDULE_DEFAULTS.timeZone;
}

function isUtc(zone: string): boolean {
  return UTC_ZONES.has(zone);
}

function isEvery(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_EVERY_SECONDS;
}

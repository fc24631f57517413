import { describe, expect, it } from '@jest/globals';
import { Cron } from 'croner';
import { calendarSpecSchema, scheduleSchema } from '#ferry/contracts';
import type { CalendarSpec, ScheduleSpec } from '#ferry/contracts';
import { compileChecker } from '#ferry/http';
import { businessDateOf, calendarProblems, nextFire, nextFires, planDue, scheduleProblems } from './schedule-math.js';

const at = (iso: string) => Date.parse(iso);
const utc = (ms: number) => new Date(ms).toISOString();
/** 'YYYY-MM-DD HH:mm:ss' on the wall clock of `zone`, with the zone's abbreviation when not UTC. */
const wall = (ms: number, zone: string) =>
  new Intl.DateTimeFormat('sv-SE', {
    ...{ timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' },
    ...{ hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' },
  }).format(ms);
/** Every fire in [from, to), as wall-clock texts. */
function firesBetween(s: ScheduleSpec, cal: CalendarSpec | undefined, from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = nextFire(s, cal, at(from) - 1); t !== null && t < at(to); t = nextFire(s, cal, t)) {
    out.push(wall(t, s.timeZone ?? 'UTC'));
  }
  return out;
}

describe('scheduleProblems', () => {
  it('accepts a 5- or 6-field cron or a fixed rate, in a known zone', () => {
    expect(scheduleProblems({ cron: '30 2 * * *', timeZone: 'America/New_York' })).toEqual([]);
    expect(scheduleProblems({ cron: '*/10 * * * * MON-FRI', timeZone: 'Europe/London' })).toEqual([]);
    expect(scheduleProblems({ everySeconds: 60 })).toEqual([]);
  });

  it('names a bad cron, a wrong number of fields, a date instead of a cron, and a cron that never fires', () => {
    const problemOf = (cron: string) => scheduleProblems({ cron }, 'body.schedule');
    expect(problemOf('61 * * * *')).toEqual([
      { path: 'body.schedule.cron', problem: expect.stringMatching(/^is not a valid cron expression: .*minute/) },
    ]);
    for (const cron of ['* * * *', '0 0 0 * * * 2030', '2030-01-23T00:00:00', '@daily']) {
      expect(problemOf(cron)).toEqual([
        { path: 'body.schedule.cron', problem: 'must have 5 fields, or 6 with seconds first' },
      ]);
    }
    expect(problemOf('0 0 30 2 *')).toEqual([{ path: 'body.schedule.cron', problem: 'never fires' }]);
  });

  it('names an unknown zone and an offset given for a zone', () => {
    for (const timeZone of ['Mars/Olympus_Mons', '+01:00', '']) {
      expect(scheduleProblems({ everySeconds: 5, timeZone })).toEqual([
        { path: 'schedule.timeZone', problem: 'is not a known IANA time zone' },
      ]);
    }
  });

  it('wants exactly one of cron and everySeconds, and a whole number of seconds within a year', () => {
    const both = { path: 'schedule', problem: 'must have exactly one of cron and everySeconds' };
    expect(scheduleProblems({ cron: '* * * * *', everySeconds: 5 })).toEqual([both]);
    expect(scheduleProblems({})).toEqual([both]);
    for (const everySeconds of [0, 1.5, 31_536_001]) {
      expect(scheduleProblems({ everySeconds })).toEqual([
        { path: 'schedule.everySeconds', problem: 'must be an integer from 1 to 31536000' },
      ]);
    }
    expect(scheduleProblems({ everySeconds: 31_536_000 })).toEqual([]);
  });
});

describe('the JSON schemas', () => {
  const checkSchedule = compileChecker(scheduleSchema);
  const checkCalendar = compileChecker(calendarSpecSchema);

  it('take a full schedule and a full calendar', () => {
    const schedule: ScheduleSpec = {
      ...{ cron: '0 30 2 * * MON-FRI', timeZone: 'Europe/London', calendar: 'uk-banks' },
      ...{ businessDate: 'PREVIOUS_BUSINESS_DAY', misfire: 'FIRE_ALL', misfireThresholdSeconds: 300, overlap: 'QUEUE' },
    };
    expect(checkSchedule(schedule)).toEqual([]);
    const calendar: CalendarSpec = {
      ...{ name: 'uk-banks', description: 'England and Wales', holidays: ['2026-12-25', '2026-12-28'] },
      ...{ businessDays: [1, 2, 3, 4, 5], exclusions: [{ from: '23:30', to: '00:30' }] },
    };
    expect(checkCalendar(calendar)).toEqual([]);
  });

  it('refuse both or neither of cron and everySeconds, unknown fields and values out of range', () => {
    expect(checkSchedule({ cron: '* * * * *', everySeconds: 5 })).not.toEqual([]);
    expect(checkSchedule({ timeZone: 'UTC' })).not.toEqual([]);
    expect(checkSchedule({ everySeconds: 5, paused: true })).toContainEqual({
      path: 'paused',
      problem: 'is not allowed',
    });
    expect(checkSchedule({ everySeconds: 31_536_001 })).not.toEqual([]);
    expect(checkSchedule({ everySeconds: 5, misfire: 'LATER' })).not.toEqual([]);
    expect(checkCalendar({ name: 'Bad Name' })).not.toEqual([]);
    expect(checkCalendar({ name: 'x', holidays: ['25/12/2026'] })).not.toEqual([]);
    expect(checkCalendar({ name: 'x', businessDays: [0] })).not.toEqual([]);
    expect(checkCalendar({ name: 'x', businessDays: [] })).not.toEqual([]);
    expect(checkCalendar({ name: 'x', exclusions: [{ from: '24:00', to: '01:00' }] })).not.toEqual([]);
  });
});

describe('calendarProblems', () => {
  it('names a date that does not exist and a window that is empty', () => {
    const cal = { name: 'x', holidays: ['2026-02-28', '2026-02-30'], exclusions: [{ from: '10:00', to: '10:00' }] };
    expect(calendarProblems(cal)).toEqual([
      { path: 'calendar.holidays[1]', problem: 'is not a date' },
      { path: 'calendar.exclusions[0]', problem: 'from and to must differ' },
    ]);
  });
});

describe('nextFire: daylight saving', () => {
  it('fires a daily 02:30 once on the New York spring-forward day, at 03:00 EDT just after the gap', () => {
    const s = { cron: '30 2 * * *', timeZone: 'America/New_York' };
    expect(firesBetween(s, undefined, '2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z')).toEqual([
      '2026-03-07 02:30:00 GMT−5',
      '2026-03-08 03:00:00 GMT−4',
      '2026-03-09 02:30:00 GMT−4',
    ]);
  });

  it('fires a daily 01:30 once (the first, EDT, pass) on the New York fall-back day, and 02:30 once', () => {
    const s = { cron: '30 1 * * *', timeZone: 'America/New_York' };
    expect(firesBetween(s, undefined, '2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z')).toEqual([
      '2026-10-31 01:30:00 GMT−4',
      '2026-11-01 01:30:00 GMT−4',
      '2026-11-02 01:30:00 GMT−5',
    ]);
    // Asked from inside the repeated hour, it does not fire 01:30 EST as well.
    expect(utc(nextFire(s, undefined, at('2026-11-01T06:10:00Z')) as number)).toBe('2026-11-02T06:30:00.000Z');
    const late = { cron: '30 2 * * *', timeZone: 'America/New_York' };
    expect(firesBetween(late, undefined, '2026-11-01T04:00:00Z', '2026-11-02T04:00:00Z')).toEqual([
      '2026-11-01 02:30:00 GMT−5',
    ]);
  });

  it('fires a daily 02:30 once on each London change, and 01:30 (inside the gap) at 02:00 BST', () => {
    const s = { cron: '30 2 * * *', timeZone: 'Europe/London' };
    expect(firesBetween(s, undefined, '2026-03-29T00:00:00Z', '2026-03-30T00:00:00Z')).toEqual([
      '2026-03-29 02:30:00 GMT+1',
    ]);
    expect(firesBetween(s, undefined, '2026-10-24T23:00:00Z', '2026-10-26T00:00:00Z')).toEqual([
      '2026-10-25 02:30:00 GMT',
    ]);
    const gap = { cron: '30 1 * * *', timeZone: 'Europe/London' };
    expect(firesBetween(gap, undefined, '2026-03-28T00:00:00Z', '2026-03-30T00:00:00Z')).toEqual([
      '2026-03-28 01:30:00 GMT',
      '2026-03-29 02:00:00 GMT+1',
    ]);
    expect(firesBetween(gap, undefined, '2026-10-24T23:00:00Z', '2026-10-26T00:00:00Z')).toEqual([
      '2026-10-25 01:30:00 GMT+1',
    ]);
  });

  it('fires an hourly cron every real hour across both New York changes: 23 on one day, 25 on the other', () => {
    const s = { cron: '0 * * * *', timeZone: 'America/New_York' };
    const spring = nextFires(s, undefined, at('2026-03-08T05:00:00Z') - 1, 23);
    const fall = nextFires(s, undefined, at('2026-11-01T04:00:00Z') - 1, 25);
    for (const day of [spring, fall]) {
      expect(day.slice(1).map((t, i) => t - day[i])).toEqual(day.slice(1).map(() => 3_600_000));
    }
    expect(spring.map((t) => wall(t, s.timeZone).slice(0, 10))).toEqual(spring.map(() => '2026-03-08'));
    expect(wall(spring[2], s.timeZone)).toBe('2026-03-08 03:00:00 GMT−4');
    expect(fall.map((t) => wall(t, s.timeZone).slice(0, 10))).toEqual(fall.map(() => '2026-11-01'));
    expect(fall.slice(1, 3).map((t) => wall(t, s.timeZone))).toEqual([
      '2026-11-01 01:00:00 GMT−4',
      '2026-11-01 01:00:00 GMT−5',
    ]);
  });

  it('fires an hourly cron in London every real hour across the fall-back', () => {
    const s = { cron: '0 * * * *', timeZone: 'Europe/London' };
    expect(nextFires(s, undefined, at('2026-10-24T23:30:00Z'), 4).map(utc)).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T02:00:00.000Z',
      '2026-10-25T03:00:00.000Z',
    ]);
  });

  it('fires everySeconds on epoch-aligned real seconds, whatever the zone and its changes', () => {
    const s = { everySeconds: 3600, timeZone: 'America/New_York' };
    expect(nextFires(s, undefined, at('2026-11-01T04:30:00Z'), 4).map(utc)).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T07:00:00.000Z',
      '2026-11-01T08:00:00.000Z',
    ]);
    expect(utc(nextFire({ everySeconds: 60 }, undefined, at('2026-12-07T10:00:00Z')) as number)).toBe(
      '2026-12-07T10:01:00.000Z',
    );
    expect(nextFire({ everySeconds: 7 }, undefined, 13_999)).toBe(14_000);
    expect(nextFire({ everySeconds: 7 }, undefined, 14_000)).toBe(21_000);
  });
});

describe('nextFire: cron fields', () => {
  it('fires on a day matching either a restricted day-of-month or a restricted day-of-week (Vixie cron)', () => {
    const s = { cron: '0 9 1 * MON' };
    expect(nextFires(s, undefined, at('2026-11-28T00:00:00Z'), 4).map(utc)).toEqual([
      '2026-11-30T09:00:00.000Z',
      '2026-12-01T09:00:00.000Z',
      '2026-12-07T09:00:00.000Z',
      '2026-12-14T09:00:00.000Z',
    ]);
  });

  it('reads 6 fields with seconds first', () => {
    expect(nextFires({ cron: '15,45 * * * * *' }, undefined, at('2026-12-07T10:00:20Z'), 3).map(utc)).toEqual([
      '2026-12-07T10:00:45.000Z',
      '2026-12-07T10:01:15.000Z',
      '2026-12-07T10:01:45.000Z',
    ]);
  });
});

describe('nextFire: the fixed-offset shortcut', () => {
  const zones = ['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'America/Santiago', 'Pacific/Chatham'];
  const patterns = ['30 2 * * *', '30 1 * * *', '0 0 * * *', '0 30 0 * * *', '0 * * * *', '*/20 * * * *', '15 3 * * 0'];
  const formats = new Map(
    zones.map((z) => [z, new Intl.DateTimeFormat('en-US', { timeZone: z, timeZoneName: 'longOffset' })]),
  );
  const offsetAt = (zone: string, ms: number) =>
    formats
      .get(zone)
      ?.formatToParts(ms)
      .find((x) => x.type === 'timeZoneName')?.value;

  it('answers as croner in the zone does, hours and days around every offset change of 2026 and away from them', () => {
    const hour = 3_600_000;
    for (const timeZone of zones) {
      const starts: Array<[number, 'near' | 'far']> = [
        [at('2026-01-10T00:00:00Z'), 'far'],
        [at('2026-06-10T00:00:00Z'), 'far'],
      ];
      // Offset changes happen on Sundays (Saturday night in Santiago), in the early hours.
      for (let day = at('2026-01-03T12:00:00Z'); day < at('2027-01-01T00:00:00Z'); day += 168 * hour) {
        if (offsetAt(timeZone, day) === offsetAt(timeZone, day + 48 * hour)) continue;
        let change = day;
        while (offsetAt(timeZone, change) === offsetAt(timeZone, day)) change += hour / 4;
        starts.push([change - 6 * hour, 'near'], [change + hour / 6, 'near']);
        starts.push([change - 26 * hour, 'far'], [change + 26 * hour, 'far']);
      }
      expect(starts).toHaveLength(10);
      for (const cron of patterns) {
        const croner = new Cron(cron, { timezone: timeZone, paused: true });
        for (const [start, where] of starts) {
          const count = where === 'far' ? 3 : cron.startsWith('0 * ') ? 12 : cron.startsWith('*/20') ? 36 : 3;
          const expected = croner.nextRuns(count, new Date(start)).map((d) => utc(d.getTime()));
          const ours = nextFires({ cron, timeZone }, undefined, start, count).map(utc);
          expect([timeZone, cron, utc(start), ours]).toEqual([timeZone, cron, utc(start), expected]);
        }
      }
    }
  });
});

describe('nextFire: calendars', () => {
  const weekdays9 = { cron: '0 9 * * *', timeZone: 'America/New_York' };

  it('leaves out a holiday and the weekend after it', () => {
    const cal = { name: 'us', holidays: ['2026-12-25'] };
    expect(firesBetween(weekdays9, cal, '2026-12-24T00:00:00Z', '2026-12-30T00:00:00Z')).toEqual([
      '2026-12-24 09:00:00 GMT−5',
      '2026-12-28 09:00:00 GMT−5',
      '2026-12-29 09:00:00 GMT−5',
    ]);
  });

  it('leaves out the days its businessDays do not name', () => {
    const sevenDays = { name: 'all', businessDays: [1, 2, 3, 4, 5, 6, 7], holidays: ['2026-12-26'] };
    expect(firesBetween(weekdays9, sevenDays, '2026-12-25T00:00:00Z', '2026-12-28T00:00:00Z')).toEqual([
      '2026-12-25 09:00:00 GMT−5',
      '2026-12-27 09:00:00 GMT−5',
    ]);
    const weekend = { name: 'weekend', businessDays: [6, 7] };
    expect(firesBetween(weekdays9, weekend, '2026-12-07T00:00:00Z', '2026-12-14T00:00:00Z')).toEqual([
      '2026-12-12 09:00:00 GMT−5',
      '2026-12-13 09:00:00 GMT−5',
    ]);
  });

  it('leaves out fires inside an exclusion window, the window end itself fires', () => {
    const s = { cron: '0 */30 * * * *', timeZone: 'Europe/London' };
    const lunch = { name: 'lunch', exclusions: [{ from: '12:00', to: '13:30' }] };
    expect(firesBetween(s, lunch, '2026-12-07T11:00:00Z', '2026-12-07T14:00:00Z')).toEqual([
      '2026-12-07 11:00:00 GMT',
      '2026-12-07 11:30:00 GMT',
      '2026-12-07 13:30:00 GMT',
    ]);
  });

  it('leaves out fires inside a window that wraps midnight, on business days only', () => {
    const s = { cron: '0 * * * *', timeZone: 'America/New_York' };
    const night = { name: 'night', exclusions: [{ from: '22:00', to: '06:00' }] };
    const fires = firesBetween(s, night, '2026-12-04T00:00:00-05:00', '2026-12-08T00:00:00-05:00');
    // Friday 06:00..21:00 (16 fires), the weekend none, Monday 06:00..21:00.
    expect(fires).toHaveLength(32);
    expect([fires[0], fires[15], fires[16], fires[31]]).toEqual([
      '2026-12-04 06:00:00 GMT−5',
      '2026-12-04 21:00:00 GMT−5',
      '2026-12-07 06:00:00 GMT−5',
      '2026-12-07 21:00:00 GMT−5',
    ]);
  });

  it('ends a window on the wall clock across both changes, twice when its end is lived twice', () => {
    const s = { cron: '0 */15 * * * *', timeZone: 'America/New_York' };
    const cal = { name: 'night', businessDays: [1, 2, 3, 4, 5, 6, 7], exclusions: [{ from: '01:00', to: '02:00' }] };
    expect(firesBetween(s, cal, '2026-11-01T00:45:00-04:00', '2026-11-01T02:16:00-05:00')).toEqual([
      '2026-11-01 00:45:00 GMT−4',
      '2026-11-01 02:00:00 GMT−5',
      '2026-11-01 02:15:00 GMT−5',
    ]);
    // A window that ends inside the repeated hour is lived twice, and ends twice: 01:30 EDT and 01:30 EST.
    const twice = { ...cal, exclusions: [{ from: '00:30', to: '01:30' }] };
    expect(firesBetween(s, twice, '2026-11-01T00:15:00-04:00', '2026-11-01T02:01:00-05:00')).toEqual([
      '2026-11-01 00:15:00 GMT−4',
      '2026-11-01 01:30:00 GMT−4',
      '2026-11-01 01:45:00 GMT−4',
      '2026-11-01 01:30:00 GMT−5',
      '2026-11-01 01:45:00 GMT−5',
      '2026-11-01 02:00:00 GMT−5',
    ]);
    // Spring forward inside the window: it ends at 03:00 EDT, the first wall-clock time past 02:00.
    const spring = { ...cal, exclusions: [{ from: '01:00', to: '02:30' }] };
    expect(firesBetween(s, spring, '2026-03-08T00:45:00-05:00', '2026-03-08T03:16:00-04:00')).toEqual([
      '2026-03-08 00:45:00 GMT−5',
      '2026-03-08 03:00:00 GMT−4',
      '2026-03-08 03:15:00 GMT−4',
    ]);
  });

  it('jumps whole excluded days for a per-second schedule', () => {
    const cal = { name: 'x', holidays: ['2026-12-08'] };
    const s = { cron: '* * * * * *', timeZone: 'Europe/London' };
    expect(utc(nextFire(s, cal, at('2026-12-07T23:59:59Z')) as number)).toBe('2026-12-09T00:00:00.000Z');
    expect(utc(nextFire({ everySeconds: 1 }, cal, at('2026-12-07T23:59:59Z')) as number)).toBe(
      '2026-12-09T00:00:00.000Z',
    );
  });

  it('answers null when nothing fires within five years, and finds a fire near the end of them', () => {
    const leap = { cron: '0 0 29 2 *' };
    const from = at('2026-12-07T00:00:00Z');
    expect(utc(nextFire(leap, undefined, from) as number)).toBe('2028-02-29T00:00:00.000Z');
    expect(nextFire(leap, { name: 'x', holidays: ['2028-02-29'] }, from)).toBeNull();
    expect(
      nextFire(weekdays9, { name: 'x', businessDays: [7], exclusions: [{ from: '08:00', to: '10:00' }] }, from),
    ).toBeNull();
    const yearly = { everySeconds: 31_536_000 };
    expect(nextFires(yearly, undefined, from, 2).map((t) => t - from)).toEqual([
      31_536_000_000 - (from % 31_536_000_000),
      2 * 31_536_000_000 - (from % 31_536_000_000),
    ]);
  });
});

describe('businessDateOf', () => {
  const nightly = { cron: '0 2 * * *', timeZone: 'America/New_York', businessDate: 'PREVIOUS_BUSINESS_DAY' } as const;

  it('is the date of the fire in the schedule zone by default', () => {
    expect(
      businessDateOf({ cron: '0 22 * * *', timeZone: 'America/New_York' }, undefined, at('2026-12-08T03:00:00Z')),
    ).toBe('2026-12-07');
    expect(businessDateOf({ everySeconds: 60 }, undefined, at('2026-12-08T03:00:00Z'))).toBe('2026-12-08');
  });

  it('is the previous weekday over a weekend without a calendar', () => {
    expect(businessDateOf(nightly, undefined, at('2026-12-07T07:00:00Z'))).toBe('2026-12-04');
    expect(businessDateOf(nightly, undefined, at('2026-12-08T07:00:00Z'))).toBe('2026-12-07');
  });

  it('steps over a holiday and a weekend together, and uses the calendar business days', () => {
    const cal = { name: 'x', holidays: ['2026-12-04'] };
    expect(businessDateOf(nightly, cal, at('2026-12-07T07:00:00Z'))).toBe('2026-12-03');
    expect(businessDateOf(nightly, { name: 'x', businessDays: [1, 2, 3, 4, 5, 6] }, at('2026-12-07T07:00:00Z'))).toBe(
      '2026-12-05',
    );
  });
});

describe('planDue after three intervals down', () => {
  // Fires each minute; down from just after 10:00 until 10:03:35. The fire loop stored 10:01 as due.
  const due = at('2026-12-07T10:01:00Z');
  const now = at('2026-12-07T10:03:35Z');
  const minutes = (...m: number[]) => m.map((n) => at(`2026-12-07T10:0${n}:00Z`));
  const base = { everySeconds: 60, misfireThresholdSeconds: 30 };
  const next = at('2026-12-07T10:04:00Z');

  it('FIRE_ONCE_NOW fires the latest missed one and skips the others as MISFIRED', () => {
    expect(planDue({ ...base, misfire: 'FIRE_ONCE_NOW' }, undefined, due, now)).toEqual({
      fire: minutes(3),
      skipped: minutes(1, 2).map((t) => ({ at: t, reason: 'MISFIRED' })),
      skippedUnlisted: 0,
      next,
    });
    // The default policy.
    expect(planDue(base, undefined, due, now).fire).toEqual(minutes(3));
  });

  it('FIRE_ALL fires all of them, the oldest beyond maxFires skipped as MISFIRE_LIMIT', () => {
    expect(planDue({ ...base, misfire: 'FIRE_ALL' }, undefined, due, now)).toEqual({
      fire: minutes(1, 2, 3),
      skipped: [],
      skippedUnlisted: 0,
      next,
    });
    expect(planDue({ ...base, misfire: 'FIRE_ALL' }, undefined, due, now, { maxFires: 2 })).toEqual({
      fire: minutes(2, 3),
      skipped: [{ at: minutes(1)[0], reason: 'MISFIRE_LIMIT' }],
      skippedUnlisted: 0,
      next,
    });
  });

  it('SKIP skips all of them as MISFIRED', () => {
    expect(planDue({ ...base, misfire: 'SKIP' }, undefined, due, now)).toEqual({
      fire: [],
      skipped: minutes(1, 2, 3).map((t) => ({ at: t, reason: 'MISFIRED' })),
      skippedUnlisted: 0,
      next,
    });
  });

  it('fires on-time fires as normal: with one on time, FIRE_ONCE_NOW and SKIP fire just that one', () => {
    const later = { ...base, misfireThresholdSeconds: 60 };
    for (const misfire of ['FIRE_ONCE_NOW', 'SKIP'] as const) {
      expect(planDue({ ...later, misfire }, undefined, due, now)).toEqual({
        fire: minutes(3),
        skipped: minutes(1, 2).map((t) => ({ at: t, reason: 'MISFIRED' })),
        skippedUnlisted: 0,
        next,
      });
    }
    expect(planDue({ everySeconds: 60 }, undefined, minutes(3)[0], now)).toEqual({
      fire: minutes(3),
      skipped: [],
      skippedUnlisted: 0,
      next,
    });
  });

  it('plans the same for a cron and a calendar as for the arithmetic of everySeconds', () => {
    const cal = { name: 'every-day', businessDays: [1, 2, 3, 4, 5, 6, 7] };
    for (const misfire of ['FIRE_ONCE_NOW', 'FIRE_ALL', 'SKIP'] as const) {
      for (const [from, to] of [
        [due, now],
        [due, now + 3_600_000],
        [due - 777_000, now],
      ]) {
        const s = { ...base, misfire };
        const opts = { maxFires: 7, maxListed: 5 };
        const plain = planDue(s, undefined, from, to, opts);
        expect(planDue(s, cal, from, to, opts)).toEqual(plain);
        expect(planDue({ ...s, everySeconds: undefined, cron: '* * * * *' }, undefined, from, to, opts)).toEqual(plain);
      }
    }
  });

  it('lists at most maxListed skipped fires and counts the rest, even after a long outage', () => {
    const perSecond = { everySeconds: 1, misfire: 'SKIP' as const };
    const plan = planDue(perSecond, undefined, at('2026-12-06T10:00:00Z'), at('2026-12-07T10:00:00Z'));
    // 86,401 fires due; the 61 of the last minute (the default threshold) are on time.
    expect(plan.fire).toEqual(nextFires(perSecond, undefined, at('2026-12-07T09:59:00Z') - 1, 61));
    expect(plan.skipped).toHaveLength(100);
    expect(plan.skipped[99]).toEqual({ at: at('2026-12-06T10:01:39Z'), reason: 'MISFIRED' });
    expect(plan.skippedUnlisted).toBe(86_401 - 61 - 100);
    const unlisted = planDue(perSecond, undefined, 5000, 100_000, { maxListed: 0 });
    expect([unlisted.skipped, unlisted.skippedUnlisted]).toEqual([[], 35]);
  });

  it('has nothing to do before the due time', () => {
    expect(planDue(base, undefined, now + 1, now)).toEqual({
      fire: [],
      skipped: [],
      skippedUnlisted: 0,
      next: now + 1,
    });
  });
});

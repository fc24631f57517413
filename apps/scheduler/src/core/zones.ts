/** Wall clocks in IANA time zones, for schedules, calendars and deadlines alike. */

export interface WallClock {
  /** `YYYY-MM-DD` */
  date: string;
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Building an Intl formatter costs far more than using one: one per zone, kept (bounded). */
const formats = new Map<string, Intl.DateTimeFormat>();
const MAX_FORMATS = 1000;

/** What the wall clock of `zone` reads at the instant `at` (ms since the epoch), to the second. */
export function wallClockAt(zone: string, at: number): WallClock {
  let f = formats.get(zone);
  if (!f) {
    const two = '2-digit';
    f = new Intl.DateTimeFormat('en-US', {
      ...{ timeZone: zone, hourCycle: 'h23', year: 'numeric', month: two, day: two },
      ...{ hour: two, minute: two, second: two },
    });
    if (formats.size >= MAX_FORMATS) formats.clear();
    formats.set(zone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(at)) p[part.type] = part.value;
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    year: +p.year,
    month: +p.month,
    day: +p.day,
    hour: +p.hour,
    minute: +p.minute,
    second: +p.second,
  };
}

/** An IANA zone name Intl knows (`Europe/London`, `UTC`); offsets such as `+01:00` are not zone names. */
export function isTimeZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

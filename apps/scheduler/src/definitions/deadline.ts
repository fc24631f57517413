import type { Deadline } from '#ferry/contracts';
import { wallClockAt } from '../core/zones.js';

/** When a run is due: minutes after the trigger, or a time of day in a time zone on the business date. */
export function deadlineAt(
  deadline: Deadline | undefined,
  receivedAt: number,
  businessDate: string | undefined,
): number | null {
  if (!deadline) return null;
  if ('afterTriggerMinutes' in deadline) return receivedAt + Math.round(deadline.afterTriggerMinutes * 60_000);
  const date = businessDate ?? localDate(receivedAt, deadline.timeZone);
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = deadline.cutoff.split(':').map(Number);
  return zonedToUtc(y, m, d, hh, mm, deadline.timeZone);
}

function zonedToUtc(y: number, m: number, d: number, hh: number, mm: number, tz: string): number {
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  // Two passes settle the offset across a DST change.
  let utc = wall - offsetMs(wall, tz);
  utc = wall - offsetMs(utc, tz);
  // A wall time inside a DST gap does not exist and the passes flip between two instants: take the
  // later one (the time just after the gap), never an instant whose wall clock reads before the cutoff.
  return Math.max(utc, wall - offsetMs(utc, tz));
}

function offsetMs(instant: number, tz: string): number {
  const w = wallClockAt(tz, instant);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

export function localDate(instant: number, tz: string): string {
  return wallClockAt(tz, instant).date;
}

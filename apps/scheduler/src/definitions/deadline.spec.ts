import { describe, expect, it } from '@jest/globals';
import { isTimeZone } from '../core/zones.js';
import { deadlineAt } from './deadline.js';

const received = Date.parse('2026-11-24T05:00:00.000Z');
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('deadlineAt', () => {
  it('is null without a deadline', () => {
    expect(deadlineAt(undefined, received, '2026-11-24')).toBeNull();
  });

  it('counts minutes after the trigger, ignoring the business date', () => {
    expect(iso(deadlineAt({ afterTriggerMinutes: 90 }, received, '2020-01-01'))).toBe('2026-11-24T06:30:00.000Z');
    expect(deadlineAt({ afterTriggerMinutes: 0.5 }, received, undefined)).toBe(received + 30_000);
  });

  it('puts a cutoff on the business date in its time zone', () => {
    expect(iso(deadlineAt({ cutoff: '06:00', timeZone: 'Asia/Tokyo' }, received, '2026-11-24'))).toBe(
      '2026-11-23T21:00:00.000Z',
    );
    expect(iso(deadlineAt({ cutoff: '23:59', timeZone: 'UTC' }, received, '2026-11-24'))).toBe(
      '2026-11-24T23:59:00.000Z',
    );
    expect(iso(deadlineAt({ cutoff: '00:00', timeZone: 'Asia/Kolkata' }, received, '2026-11-24'))).toBe(
      '2026-11-23T18:30:00.000Z',
    );
  });

  it('without a business date, uses the date the trigger arrived on in that time zone', () => {
    const lateUtc = Date.parse('2026-11-24T20:00:00.000Z'); // already 25 Nov in Tokyo
    expect(iso(deadlineAt({ cutoff: '06:00', timeZone: 'Asia/Tokyo' }, lateUtc, undefined))).toBe(
      '2026-11-24T21:00:00.000Z',
    );
  });

  it('follows daylight saving time: the offset of the business date, not of today', () => {
    const ny = { cutoff: '06:00', timeZone: 'America/New_York' };
    expect(iso(deadlineAt(ny, received, '2026-03-07'))).toBe('2026-03-07T11:00:00.000Z'); // EST, UTC-5
    // DST began at 02:00: EDT, UTC-4
    expect(iso(deadlineAt(ny, received, '2026-03-08'))).toBe('2026-03-08T10:00:00.000Z');
    expect(iso(deadlineAt(ny, received, '2026-11-01'))).toBe('2026-11-01T11:00:00.000Z'); // DST ended at 02:00
    const london = { cutoff: '06:00', timeZone: 'Europe/London' };
    expect(iso(deadlineAt(london, received, '2026-03-29'))).toBe('2026-03-29T05:00:00.000Z'); // BST from 01:00 UTC
    expect(iso(deadlineAt(london, received, '2026-10-25'))).toBe('2026-10-25T06:00:00.000Z');
    const sydney = { cutoff: '06:00', timeZone: 'Australia/Sydney' };
    // AEST after 03:00 AEDT → 02:00
    expect(iso(deadlineAt(sydney, received, '2026-04-05'))).toBe('2026-04-04T20:00:00.000Z');
    expect(iso(deadlineAt(sydney, received, '2026-10-04'))).toBe('2026-10-03T19:00:00.000Z'); // AEDT from 02:00
  });

  it('a cutoff in the hour DST skips falls just after the gap; one in the repeated hour, on its first pass', () => {
    // 02:30 does not exist in New York on 2026-03-08: the wall clock jumps from 01:59 EST to 03:00 EDT.
    expect(iso(deadlineAt({ cutoff: '02:30', timeZone: 'America/New_York' }, received, '2026-03-08'))).toBe(
      '2026-03-08T07:30:00.000Z',
    );
    expect(iso(deadlineAt({ cutoff: '02:30', timeZone: 'Australia/Sydney' }, received, '2026-10-04'))).toBe(
      '2026-10-03T16:30:00.000Z',
    );
    // 01:30 happens twice in New York on 2026-11-01 (EDT, then EST): the first one.
    expect(iso(deadlineAt({ cutoff: '01:30', timeZone: 'America/New_York' }, received, '2026-11-01'))).toBe(
      '2026-11-01T05:30:00.000Z',
    );
  });
});

describe('isTimeZone', () => {
  it('knows IANA names and refuses others', () => {
    expect(isTimeZone('Asia/Tokyo')).toBe(true);
    expect(isTimeZone('Europe/London')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});

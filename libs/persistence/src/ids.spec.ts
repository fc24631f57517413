import { describe, expect, it } from '@jest/globals';
import { timeOrderedId } from './ids.js';

describe('timeOrderedId', () => {
  it('is a version 7 UUID whose first 48 bits are the milliseconds given', () => {
    const id = timeOrderedId(0x0192_3456_789a);
    expect(id).toMatch(/^01923456-789a-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sorts by time across milliseconds and differs within one', () => {
    const ids = [1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000].map((t) => timeOrderedId(t));
    expect([...ids].sort()).toEqual(ids);
    const same = new Set(Array.from({ length: 1000 }, () => timeOrderedId(1_700_000_000_000)));
    expect(same.size).toBe(1000);
  });

  it('takes its time from each call, also back and forth between milliseconds', () => {
    expect(timeOrderedId(0x0192_3456_789b).startsWith('01923456-789b-7')).toBe(true);
    expect(timeOrderedId(0x0192_3456_789a).startsWith('01923456-789a-7')).toBe(true);
    expect(timeOrderedId(0x0192_3456_789b).startsWith('01923456-789b-7')).toBe(true);
  });
});

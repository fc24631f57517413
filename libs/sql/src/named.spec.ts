import { describe, expect, it } from '@jest/globals';
import { named } from './index.js';

describe('named', () => {
  it('writes each {name} marker as the quote function spells it, and leaves the rest alone', () => {
    const oracle = (n: string) => `"${n}"`;
    expect(named("SELECT {job_id} FROM {con_jobs} WHERE {status} = 'A' AND x = ?", oracle)).toBe(
      `SELECT "job_id" FROM "con_jobs" WHERE "status" = 'A' AND x = ?`,
    );
    expect(named('UPDATE {con_jobs} SET {n_2} = ?', (n) => n)).toBe('UPDATE con_jobs SET n_2 = ?');
  });

  it('does not take braces around anything but a lower-case name', () => {
    expect(named('SELECT {Bad}, {a b}, {} FROM t', () => 'X')).toBe('SELECT {Bad}, {a b}, {} FROM t');
  });
});

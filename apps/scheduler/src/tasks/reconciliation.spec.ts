import { describe, expect, it } from '@jest/globals';
import type { Reconciliation } from '#ferry/contracts';
import { reconciliationProblems } from './reconciliation.js';

const file = { name: 'invoices-001.ndjson', recordCount: 1000, checksum: 'sha256:aa' };
const good: Reconciliation = {
  expected: 1000,
  received: 1000,
  inserted: 900,
  updated: 50,
  deleted: 0,
  unchanged: 40,
  rejected: 10,
  checksum: 'sha256:aa',
};

describe('reconciliationProblems', () => {
  it('accepts counts that add up, match the trigger and carry its checksum', () => {
    expect(reconciliationProblems(file, good)).toEqual([]);
  });

  it('counts deletes, unchanged and rejected rows as accounted for', () => {
    const r = { ...good, inserted: 0, updated: 0, deleted: 500, unchanged: 400, rejected: 100 };
    expect(reconciliationProblems(file, r)).toEqual([]);
  });

  it('finds received ≠ inserted + updated + deleted + unchanged + rejected, both ways', () => {
    expect(reconciliationProblems(file, { ...good, inserted: 899 })).toEqual([
      'received 1000 but inserted+updated+deleted+unchanged+rejected = 999',
    ]);
    expect(reconciliationProblems(file, { ...good, rejected: 11 })).toEqual([
      'received 1000 but inserted+updated+deleted+unchanged+rejected = 1001',
    ]);
  });

  it('finds expected ≠ received', () => {
    const r = { ...good, received: 990, inserted: 890 };
    expect(reconciliationProblems(file, r)).toEqual(['expected 1000 but received 990']);
  });

  it('finds a downstream that expected another count than the trigger announced', () => {
    const r = { ...good, expected: 999, received: 999, inserted: 899 };
    expect(reconciliationProblems(file, r)).toEqual([
      'the trigger announced 1000 records but the downstream expected 999',
    ]);
  });

  it('finds a checksum that differs from the trigger', () => {
    expect(reconciliationProblems(file, { ...good, checksum: 'sha256:bb' })).toEqual([
      "checksum sha256:bb differs from the trigger's sha256:aa",
    ]);
  });

  it('compares only what both sides stated', () => {
    const { checksum: _c, ...noChecksum } = good;
    expect(reconciliationProblems(file, noChecksum)).toEqual([]);
    expect(
      reconciliationProblems(
        { name: 'x' },
        {
          ...good,
          checksum: 'sha256:zz',
          expected: 5,
          received: 5,
          inserted: 5,
          updated: 0,
          unchanged: 0,
          rejected: 0,
        },
      ),
    ).toEqual([]);
  });

  it('reports every problem at once, and a missing reconciliation as a problem', () => {
    expect(reconciliationProblems(file, { ...good, expected: 7, inserted: 1, checksum: 'sha256:cc' })).toHaveLength(4);
    expect(reconciliationProblems(file, undefined)).toEqual(['no reconciliation counts were reported']);
    expect(reconciliationProblems(file, null)).toEqual(['no reconciliation counts were reported']);
  });
});

import { describe, expect, it } from '@jest/globals';
import { ChecksumBuilder, demoDatasetSpec, demoRecord } from '#ferry/datasets';
import { preparePage, preparePageInSlices } from './batch.js';
import { compileMapping } from './mapping.js';
import { compileCheck } from './validator.js';

describe('preparePageInSlices', () => {
  const spec = demoDatasetSpec();
  const ctx = () => ({
    changes: false,
    check: compileCheck(spec, false),
    mapping: compileMapping(spec),
    checksum: new ChecksumBuilder(),
  });
  // 1,234 records, every 97th invalid: slices of 500 cut through both ops and rejections.
  const records = Array.from(
    { length: 1234 },
    (_, i) => (i % 97 === 5 ? { ...demoRecord(i), balance: 'not a number' } : demoRecord(i)) as Record<string, unknown>,
  );

  it('prepares a page in slices exactly as in one go: same ops, same rejected positions, same checksum', async () => {
    const whole = ctx();
    const sliced = ctx();
    const expected = preparePage(records, 41, whole);
    const got = await preparePageInSlices(records, 41, sliced, 500);
    expect(got).toEqual(expected);
    expect(got.rejected.map((r) => r.position)).toEqual(records.flatMap((_, i) => (i % 97 === 5 ? [41 + i] : [])));
    expect(got.ops).toHaveLength(1234 - got.rejected.length);
    expect(sliced.checksum.digest()).toBe(whole.checksum.digest());
  });

  it('gives the event loop back between slices', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    // Busy past the timer's due time before starting, so that it fires at the first chance it gets.
    const until = Date.now() + 5;
    while (Date.now() < until);
    await preparePageInSlices(records, 1, ctx(), 100);
    const seen = ticks;
    clearInterval(timer);
    // 13 slices: other work (here, a timer) ran while the page was being prepared; in one go, none could.
    expect(seen).toBeGreaterThan(0);
  });
});

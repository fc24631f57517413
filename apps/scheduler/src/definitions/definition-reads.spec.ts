import { describe, expect, it } from '@jest/globals';
import type { Db } from '#ferry/persistence';
import type { DefinitionEntity } from '../persistence/index.js';
import { DEFAULT_TUNING } from '../tuning.js';
import { DefinitionReads } from './definition-reads.js';

/** A database whose every read answers `answer()` (the query itself is the integration tests'), counted. */
function fakeDb(answer: () => unknown) {
  const db = { reads: 0, run: async () => (db.reads++, answer()) };
  return db;
}

function setUp(tuning: Partial<typeof DEFAULT_TUNING> = {}, answer: () => unknown = () => []) {
  let now = 1_000;
  const db = fakeDb(answer);
  const reads = new DefinitionReads(
    db as unknown as Pick<Db, 'run'>,
    { tuning: { ...DEFAULT_TUNING, ...tuning } },
    () => now,
  );
  return { reads, db, tick: (ms: number) => (now += ms) };
}

describe('DefinitionReads', () => {
  it('reads the bindings of a (source, event) once per bindingsTrustMs, each pair on its own', async () => {
    const { reads, db, tick } = setUp({ bindingsTrustMs: 1000 });
    await reads.boundTo('billing', 'files.ready');
    await reads.boundTo('billing', 'files.ready');
    await reads.boundTo('billing', 'other');
    expect(db.reads).toBe(2);
    tick(999);
    await reads.boundTo('billing', 'files.ready');
    expect(db.reads).toBe(2);
    tick(1);
    await reads.boundTo('billing', 'files.ready');
    expect(db.reads).toBe(3);
  });

  it('reads everything again after a save here (forget)', async () => {
    const { reads, db } = setUp({ bindingsTrustMs: 60_000, upstreamsTrustMs: 60_000 }, () => []);
    await reads.boundTo('s', 'e');
    await reads.upstreamNames();
    reads.forget();
    await reads.boundTo('s', 'e');
    await reads.upstreamNames();
    expect(db.reads).toBe(4);
  });

  it('keeps at most bindingsKept pairs, dropping the one read longest ago', async () => {
    const { reads, db } = setUp({ bindingsKept: 2 });
    await reads.boundTo('a', 'e');
    await reads.boundTo('b', 'e');
    await reads.boundTo('c', 'e');
    await reads.boundTo('c', 'e');
    await reads.boundTo('b', 'e');
    expect(db.reads).toBe(3);
    await reads.boundTo('a', 'e');
    expect(db.reads).toBe(4);
  });

  it('does not keep a failed read: the next use reads again', async () => {
    let fail = true;
    const { reads, db } = setUp({}, () => {
      if (fail) throw new Error('database down');
      return [{ name: 'd' } as DefinitionEntity];
    });
    await expect(reads.boundTo('s', 'e')).rejects.toThrow('database down');
    await expect(reads.upstreamNames()).rejects.toThrow('database down');
    fail = false;
    await expect(reads.boundTo('s', 'e')).resolves.toEqual([{ name: 'd' }]);
    expect(db.reads).toBe(3);
  });

  it('reads the names of upstream definitions once per upstreamsTrustMs', async () => {
    const { reads, db, tick } = setUp({ upstreamsTrustMs: 2000 }, () => new Set(['a']));
    expect(await reads.upstreamNames()).toEqual(new Set(['a']));
    tick(1999);
    await reads.upstreamNames();
    expect(db.reads).toBe(1);
    tick(1);
    await reads.upstreamNames();
    expect(db.reads).toBe(2);
  });
});

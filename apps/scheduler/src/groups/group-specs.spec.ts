import { describe, expect, it } from '@jest/globals';
import type { Tx } from '../storage/tx.js';
import { DEFAULT_TUNING } from '../tuning.js';
import { GroupSpecs } from './group-specs.js';
import type { GroupInfo, GroupStore } from './group-store.js';

const tx = {} as Tx;
const info = (id: string): GroupInfo => ({ id, runMode: 'ASYNC', spec: { name: id } as GroupInfo['spec'] });

function store() {
  const reads: string[][] = [];
  let enabledReads = 0;
  let enabled = true;
  const s: GroupStore = {
    info: async (_tx, ids) => (reads.push(ids), ids.map(info)),
    isEnabled: async () => (enabledReads++, enabled),
    recount: async () => [],
  };
  return { s, reads, enabledReads: () => enabledReads, setEnabled: (v: boolean) => (enabled = v) };
}

describe('GroupSpecs', () => {
  it('reads a spec once, then answers from memory; remembered specs need no read', async () => {
    const db = store();
    const specs = new GroupSpecs(db.s, { tuning: DEFAULT_TUNING });
    specs.remember(info('known'));
    expect([...(await specs.info(tx, ['known', 'g1'])).keys()]).toEqual(['known', 'g1']);
    expect([...(await specs.info(undefined, ['g1'])).keys()]).toEqual(['g1']);
    expect(db.reads).toEqual([['g1']]);
  });

  it('forgets the oldest spec past groupSpecCacheRuns', async () => {
    const db = store();
    const specs = new GroupSpecs(db.s, { tuning: { ...DEFAULT_TUNING, groupSpecCacheRuns: 2 } });
    await specs.info(tx, ['a', 'b', 'c']);
    await specs.info(tx, ['a', 'c']);
    expect(db.reads).toEqual([['a', 'b', 'c'], ['a']]);
  });

  it("trusts a definition's paused flag for pausedFlagMs, then reads it again", async () => {
    const db = store();
    const specs = new GroupSpecs(db.s, { tuning: { ...DEFAULT_TUNING, pausedFlagMs: 1000 } });
    expect(await specs.isPaused(tx, 'd', 0)).toBe(false);
    db.setEnabled(false);
    expect(await specs.isPaused(tx, 'd', 999)).toBe(false);
    expect(await specs.isPaused(tx, 'd', 1000)).toBe(true);
    expect(db.enabledReads()).toBe(2);
  });
});

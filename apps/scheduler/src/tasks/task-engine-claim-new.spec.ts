import { describe, expect, it } from '@jest/globals';
import type { GroupSpecs } from '../groups/group-specs.js';
import type { GroupInfo } from '../groups/group-store.js';
import { DEFAULT_TUNING } from '../tuning.js';
import { TaskEngine } from './task-engine.js';
import { newTaskRow } from './task-row.js';
import type { TaskStore } from './task-store.js';

const group = { id: 'g', runMode: 'ASYNC', spec: { definitionId: 'd', target: { urls: ['http://a', 'http://b'] } } };
const rows = [0, 1].map((seq) =>
  newTaskRow({
    id: `t${seq}`,
    groupRunId: 'g',
    seq,
    file: { name: `f${seq}` },
    maxAttempts: 3,
    readyAt: 0,
    deadlineAt: null,
    createdAt: 0,
    updatedAt: 0,
  }),
);

/** An engine whose store fails any call: a new run's claims touch no storage. */
function engine(paused: boolean): TaskEngine {
  const store = new Proxy(
    { lanes: () => 1 },
    {
      get: (target, key) =>
        key in target
          ? target[key as 'lanes']
          : () => {
              throw new Error(`the store was used (${String(key)})`);
            },
    },
  ) as unknown as TaskStore;
  const groups = { isPaused: async () => paused } as unknown as GroupSpecs;
  const config = { lanes: 1, dispatchTimeoutMs: 1000, acceptLingerMs: 0, tuning: DEFAULT_TUNING };
  return new TaskEngine(store, groups, [], config, () => 5000);
}

describe('TaskEngine.claimNew: the first claims of a run not yet written', () => {
  it('claims every task as the state machine does (spread over the targets), with an event each and the effects', async () => {
    const run = (await engine(false).claimNew(group as GroupInfo, rows))!;
    expect(run.rows.map((r) => [r.id, r.status, r.attempt, r.dispatchedAt, r.targetUrl])).toEqual([
      ['t0', 'DISPATCHED', 1, 5000, 'http://a'],
      ['t1', 'DISPATCHED', 1, 5000, 'http://b'],
    ]);
    // Written as the rows' first version: no version to check, the insert is the write.
    expect(run.rows.map((r) => r.version)).toEqual(rows.map((r) => r.version));
    expect(run.events.map((e) => [e.taskRunId, e.fromStatus, e.toStatus, e.dispatchId])).toEqual(
      run.rows.map((r) => [r.id, 'PENDING', 'DISPATCHED', r.dispatchId]),
    );
    expect(run.outcomes.map((o) => o.answer)).toEqual(
      run.rows.map((r) => ({ type: 'send', dispatchId: r.dispatchId, attempt: 1, targetUrl: r.targetUrl })),
    );
    expect(run.effects.moved.map((m) => m.task)).toEqual(run.rows);
  });

  it("decides nothing for a paused definition's run: it is written new and claimed as usual", async () => {
    expect(await engine(true).claimNew(group as GroupInfo, rows)).toBeUndefined();
  });
});

import { describe, expect, it } from '@jest/globals';
import { DEFAULT_TUNING } from '../tuning.js';
import type { TaskRow } from '../tasks/task-status.js';
import { CreatedRuns } from './created-runs.js';
import type { GroupRunPlan } from './group-run.factory.js';
import type { GroupInfo } from './group-store.js';

function plan(id: string, mode: 'SYNC' | 'ASYNC', tasks: number, status = 'PENDING'): GroupRunPlan {
  return {
    group: { id, runMode: mode, spec: { name: id } },
    tasks: Array.from({ length: tasks }, (_, i) => ({
      id: `${id}-t${i}`,
      status,
      readyAt: mode === 'ASYNC' || i === 0 ? 1 : null,
    })),
  } as unknown as GroupRunPlan;
}

function created(tuning: Partial<typeof DEFAULT_TUNING> = {}) {
  const specs: GroupInfo[] = [];
  const rows: TaskRow[] = [];
  const runs = new CreatedRuns(
    { remember: (i) => specs.push(i) },
    { remember: (r) => rows.push(...r) },
    { tuning: { ...DEFAULT_TUNING, ...tuning } },
  );
  return { runs, specs, rows };
}

describe('CreatedRuns', () => {
  it("keeps a created run's spec and task rows, and an ASYNC run's ready ids for its group job, once", () => {
    const { runs, specs, rows } = created();
    runs.created([plan('a', 'ASYNC', 3), plan('s', 'SYNC', 2)]);
    expect(specs.map((s) => [s.id, s.runMode])).toEqual([
      ['a', 'ASYNC'],
      ['s', 'SYNC'],
    ]);
    expect(rows).toHaveLength(5);
    expect(runs.takeReady('a')).toEqual(['a-t0', 'a-t1', 'a-t2']);
    expect(runs.takeReady('a')).toBeUndefined(); // a rerun reads the database
    expect(runs.takeReady('s')).toBeUndefined(); // SYNC runs go task by task
  });

  it('keeps no ids for a run written claimed (its tasks are being sent), nor an entry that would never go', () => {
    const { runs, rows } = created({ createdReadyIds: 3 });
    runs.created([plan('sent', 'ASYNC', 2, 'DISPATCHED'), plan('b', 'ASYNC', 3)]);
    expect(rows).toHaveLength(5); // its rows are kept all the same: its callbacks need no read
    expect(runs.takeReady('sent')).toBeUndefined();
    expect(runs.takeReady('b')).toHaveLength(3); // the claimed run took none of the bound
  });

  it('keeps no ids for a run bigger than createdReadyMaxTasks', () => {
    const { runs } = created({ createdReadyMaxTasks: 2 });
    runs.created([plan('big', 'ASYNC', 3)]);
    expect(runs.takeReady('big')).toBeUndefined();
  });

  it('is bounded by ids: the oldest runs are forgotten first', () => {
    const { runs } = created({ createdReadyIds: 5 });
    runs.created([plan('a', 'ASYNC', 3), plan('b', 'ASYNC', 3)]);
    expect(runs.takeReady('a')).toBeUndefined();
    expect(runs.takeReady('b')).toHaveLength(3);
  });
});

import { describe, expect, it } from '@jest/globals';
import type { GroupSpecs } from '../groups/group-specs.js';
import type { GroupInfo } from '../groups/group-store.js';
import type { Tx } from '../storage/tx.js';
import { DEFAULT_TUNING } from '../tuning.js';
import { TaskEngine } from './task-engine.js';
import { newTaskRow, type TaskRow } from './task-row.js';
import type { LoadedTasks, TaskStore, TaskWrite } from './task-store.js';

const group = { id: 'g', runMode: 'ASYNC', spec: { target: { urls: ['http://d'] } } } as GroupInfo;
const running = newTaskRow({
  id: 't',
  groupRunId: 'g',
  seq: 0,
  file: { name: 'f' },
  maxAttempts: 3,
  readyAt: 0,
  deadlineAt: null,
  createdAt: 0,
  updatedAt: 0,
});
const task: TaskRow = { ...running, status: 'RUNNING', dispatchId: 'd-1', attempt: 1 };

/** A store whose every row comes from memory (as behind CachingTaskStore), counting reads and writes. */
function rememberingStore() {
  const loads: Array<{ ids: string[]; fresh: string[] }> = [];
  const writes: TaskWrite[] = [];
  const store = {
    lanes: () => 1,
    unitOfWork: <T>(work: (tx: Tx) => Promise<T>) => work({} as Tx),
    async load(_tx: Tx, ids: string[], fresh?: ReadonlySet<string>): Promise<LoadedTasks> {
      loads.push({ ids, fresh: [...(fresh ?? [])] });
      return { rows: new Map([[task.id, task]]), remembered: new Set(fresh?.has(task.id) ? [] : [task.id]) };
    },
    async commit(_tx: Tx, w: TaskWrite[]) {
      writes.push(...w);
      return true;
    },
  } as unknown as TaskStore;
  return { store, loads, writes };
}

function engine(store: TaskStore): TaskEngine {
  const groups = { info: async () => new Map([[group.id, group]]), isPaused: async () => false } as Pick<
    GroupSpecs,
    'info' | 'isPaused'
  >;
  const config = { lanes: 1, dispatchTimeoutMs: 1000, acceptLingerMs: 0, tuning: DEFAULT_TUNING };
  return new TaskEngine(store, groups as GroupSpecs, [], config, () => 1000);
}

const succeeded = { kind: 'report', actor: 'callback', body: { dispatchId: 'd-1', status: 'SUCCEEDED' } } as const;

describe('TaskEngine: a command whose sender is not allowed', () => {
  it('is answered forbidden without the task, writes nothing, needs no fresh read of a remembered row', async () => {
    const { store, loads, writes } = rememberingStore();
    const seen: GroupInfo[] = [];
    const out = await engine(store).submit('t', succeeded, (g) => (seen.push(g), false));
    expect(out).toEqual({ answer: { type: 'forbidden' } });
    expect(seen).toEqual([group]);
    expect(writes).toEqual([]);
    expect(loads).toEqual([{ ids: ['t'], fresh: [] }]);
  });

  it('is decided as any other when allowed (an answer writing nothing is decided again on a fresh read)', async () => {
    const { store, loads, writes } = rememberingStore();
    const stale = { ...succeeded, body: { dispatchId: 'older', status: 'RUNNING' } } as const;
    const out = await engine(store).submit('t', stale, () => true);
    expect(out.answer).toEqual({ type: 'ignored', reason: 'STALE' });
    expect(out.task?.status).toBe('RUNNING');
    expect(writes).toEqual([]);
    expect(loads.map((l) => l.fresh)).toEqual([[], ['t']]);
  });
});

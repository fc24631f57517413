import { describe, expect, it } from '@jest/globals';
import type { Tx } from '../storage/tx.js';
import { CachingTaskStore } from './caching-task-store.js';
import type { LoadedTasks, TaskStore } from './task-store.js';
import type { TaskRow, TaskStatus } from './task-status.js';

const tx = {} as Tx;

function row(id: string, status: TaskStatus = 'DISPATCHED', version = 1): TaskRow {
  return { id, groupRunId: 'g', seq: 0, status, version } as TaskRow;
}

/** An inner store holding `rows` (the database), counting what it is asked to read. */
function database(rows: TaskRow[]) {
  const table = new Map(rows.map((r) => [r.id, r]));
  const reads: string[][] = [];
  let duringRead = () => undefined as unknown;
  const inner = {
    async load(_tx: Tx, ids: string[]): Promise<LoadedTasks> {
      reads.push(ids);
      duringRead();
      return {
        rows: new Map(ids.filter((id) => table.has(id)).map((id) => [id, table.get(id)!])),
        remembered: new Set(),
      };
    },
    async commit() {
      return true;
    },
  } as unknown as TaskStore;
  return { inner, reads, table, onRead: (fn: () => unknown) => (duringRead = fn) };
}

describe('CachingTaskStore', () => {
  it('answers rows it read or wrote from memory, and says which (a remembered row may be stale)', async () => {
    const db = database([row('a'), row('b')]);
    const store = new CachingTaskStore(db.inner, 100);
    await store.load(tx, ['a']);
    const second = await store.load(tx, ['a', 'b']);
    expect(db.reads).toEqual([['a'], ['b']]);
    expect([...second.remembered]).toEqual(['a']);
    expect(second.rows.get('a')).toEqual(row('a'));
  });

  it('reads ids asked fresh from the database, and keeps what it read', async () => {
    const db = database([row('a')]);
    const store = new CachingTaskStore(db.inner, 100);
    await store.load(tx, ['a']);
    db.table.set('a', row('a', 'RUNNING', 2));
    const fresh = await store.load(tx, ['a'], new Set(['a']));
    expect(fresh.rows.get('a')?.version).toBe(2);
    expect(fresh.remembered.size).toBe(0);
    expect((await store.load(tx, ['a'])).rows.get('a')?.version).toBe(2);
  });

  it('keeps a committed row at its next version; a lost commit keeps nothing', async () => {
    const db = database([]);
    const store = new CachingTaskStore(db.inner, 100);
    await store.commit(tx, [{ row: row('a', 'RUNNING', 3), expectedVersion: 3 }], []);
    expect((await store.load(tx, ['a'])).rows.get('a')?.version).toBe(4);
    (db.inner as unknown as { commit: () => Promise<boolean> }).commit = async () => false;
    await store.commit(tx, [{ row: row('b', 'RUNNING', 3), expectedVersion: 3 }], []);
    expect((await store.load(tx, ['b'])).rows.has('b')).toBe(false);
  });

  it('takes its hits before the read: rows evicted meanwhile by other batches are not lost', async () => {
    const db = database([row('a'), row('b')]);
    const store = new CachingTaskStore(db.inner, 100);
    await store.load(tx, ['a']);
    db.table.delete('a'); // only memory can answer for it now
    db.onRead(() => (store as unknown as { rows: Map<string, TaskRow> }).rows.clear());
    const out = await store.load(tx, ['a', 'b']);
    expect([...out.rows.keys()].sort()).toEqual(['a', 'b']);
  });

  it('keeps no terminal rows, and at most `limit` rows, the oldest going first', async () => {
    const db = database([row('a'), row('b'), row('c'), row('done', 'SUCCEEDED')]);
    const store = new CachingTaskStore(db.inner, 2);
    await store.load(tx, ['a', 'b', 'c', 'done']);
    db.reads.length = 0;
    await store.load(tx, ['a', 'b', 'c', 'done']);
    expect(db.reads).toEqual([['a', 'done']]);
  });

  it('remembers rows committed elsewhere (a group run created here)', async () => {
    const db = database([]);
    const store = new CachingTaskStore(db.inner, 10);
    store.remember([row('new', 'PENDING')]);
    const out = await store.load(tx, ['new']);
    expect(out.rows.get('new')?.status).toBe('PENDING');
    expect(db.reads).toEqual([[]]);
  });
});

import type { Tx } from '../storage/tx.js';
import type { LoadedTasks, TaskStore, TaskWrite } from './task-store.js';
import type { SiblingScope } from './sync-cascade.js';
import type { TaskRow } from './task-row.js';
import { isTerminal, type TaskEventDraft } from './task-status.js';

/**
 * A task store that answers from the live rows this process last read or wrote, so a task's next
 * command (its callback after its claim) needs no read. A remembered row is never trusted alone
 * (`LoadedTasks.remembered`): every write checks its version, and an answer that writes nothing is
 * decided again on a fresh read. Bounded: the oldest rows go first; terminal rows are not kept.
 */
export class CachingTaskStore implements TaskStore {
  private readonly rows = new Map<string, TaskRow>();

  constructor(
    private readonly inner: TaskStore,
    private readonly limit: number,
  ) {}

  lanes(requested: number): number {
    return this.inner.lanes(requested);
  }

  unitOfWork<T>(work: (tx: Tx) => Promise<T>, opts?: { transaction?: boolean }): Promise<T> {
    return this.inner.unitOfWork(work, opts);
  }

  async load(tx: Tx, ids: string[], fresh?: ReadonlySet<string>): Promise<LoadedTasks> {
    // Hits are taken before the read: other batches evict and replace entries meanwhile (at the limit
    // and beyond), and a row gone by then would make its task look unknown.
    const hits = new Map<string, TaskRow>();
    for (const id of ids) {
      const row = fresh?.has(id) ? undefined : this.rows.get(id);
      if (row) hits.set(id, row);
    }
    const read = await this.inner.load(
      tx,
      ids.filter((id) => !hits.has(id)),
      fresh,
    );
    for (const row of read.rows.values()) this.keep(row);
    for (const [id, row] of hits) {
      if (read.rows.has(id)) continue;
      read.rows.set(id, row);
      read.remembered.add(id);
    }
    return read;
  }

  loadSiblings(tx: Tx, groupRunId: string, at: { seq: number; scope: SiblingScope }): Promise<TaskRow[]> {
    return this.inner.loadSiblings(tx, groupRunId, at);
  }

  async commit(tx: Tx, writes: TaskWrite[], events: TaskEventDraft[]): Promise<boolean> {
    const won = await this.inner.commit(tx, writes, events);
    // A row kept here whose transaction then fails is harmless: its next write fails the version check.
    if (won) for (const { row } of writes) this.keep({ ...row, version: row.version + 1 });
    return won;
  }

  insertTasks(tx: Tx, rows: TaskRow[]): Promise<void> {
    return this.inner.insertTasks(tx, rows);
  }

  /** Rows committed elsewhere in this process (a group run's tasks as created). */
  remember(rows: TaskRow[]): void {
    for (const row of rows) this.keep(row);
  }

  live(groupRunId: string): Promise<TaskRow[]> {
    return this.inner.live(groupRunId);
  }

  readyIds(groupRunId: string): Promise<string[]> {
    return this.inner.readyIds(groupRunId);
  }

  private keep(row: TaskRow): void {
    this.rows.delete(row.id);
    if (isTerminal(row.status)) return;
    if (this.rows.size >= this.limit) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(row.id, row);
  }
}

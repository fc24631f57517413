import type { Db } from '#ferry/persistence';
import type { LoadedTasks, TaskWrite } from '../../tasks/task-store.js';
import { type TaskEventDraft, type TaskRow, withIds } from '../../tasks/task-status.js';
import { OrmTaskStore } from '../orm/orm-task-store.js';
import type { Tx } from '../tx.js';
import { pgCommit, pgInsertTasks, pgLoadTasks } from './pg-task-sql.js';

/**
 * PostgreSQL: a batch of tasks is read by one statement and written, with its events and version
 * checks, by one more (no BEGIN and COMMIT round trips: the statement is atomic by itself). The rarer
 * reads go through TypeORM, as on the other databases.
 */
export class PgTaskStore extends OrmTaskStore {
  constructor(
    db: Db,
    ormChunk: number,
    /** Rows per set-based INSERT (array parameters). */
    private readonly pgChunk: number,
  ) {
    super(db, ormChunk);
  }

  override lanes(requested: number): number {
    return requested;
  }

  override unitOfWork<T>(work: (tx: Tx) => Promise<T>, opts?: { transaction?: boolean }): Promise<T> {
    return opts?.transaction ? this.db.tx(work) : work(this.db.dataSource.manager);
  }

  override async load(tx: Tx, ids: string[]): Promise<LoadedTasks> {
    const rows = ids.length ? await pgLoadTasks(tx, ids) : [];
    return { rows: new Map(rows.map((r) => [r.id, r])), remembered: new Set() };
  }

  override commit(tx: Tx, writes: TaskWrite[], events: TaskEventDraft[]): Promise<boolean> {
    if (writes.length === 0 && events.length === 0) return Promise.resolve(true);
    return pgCommit(tx, writes, withIds(events));
  }

  override insertTasks(tx: Tx, rows: TaskRow[]): Promise<void> {
    return pgInsertTasks(tx, rows, this.pgChunk);
  }
}

import type { Tx } from '../storage/tx.js';
import type { SiblingScope } from './sync-cascade.js';
import type { TaskRow } from './task-row.js';
import type { TaskEventDraft } from './task-status.js';

/** A changed row to write, if its version is still the one it was decided on. */
export interface TaskWrite {
  row: TaskRow;
  expectedVersion: number;
  /** The row as read: an adapter may write only the columns that differ. */
  before?: TaskRow;
}

export interface LoadedTasks {
  rows: Map<string, TaskRow>;
  /**
   * Ids whose row came from memory, not from this read (a cache): such a row may be stale. A write
   * decided on it is safe (its version is checked); an answer that writes nothing must be decided again
   * on a fresh read (`fresh`).
   */
  remembered: Set<string>;
}

/**
 * Where task runs are kept (port). Adapters: storage/pg (set-based statements, a batch in one round
 * trip) and storage/orm (TypeORM's query builder: SQLite, Oracle); CachingTaskStore wraps either.
 */
export interface TaskStore {
  /** How many units of work may run at once here (SQLite has one writer). */
  lanes(requested: number): number;
  /**
   * Runs `work` as one unit whose `commit` is all or nothing: in a transaction (a lost race rolls it
   * back), or outside one where the adapter's commit is a single statement. `transaction`: always in a
   * transaction, for work that writes more than the commit (an operator's move and its audit event).
   */
  unitOfWork<T>(work: (tx: Tx) => Promise<T>, opts?: { transaction?: boolean }): Promise<T>;
  /** The rows by id; ids in `fresh` must be read from the database. */
  load(tx: Tx, ids: string[], fresh?: ReadonlySet<string>): Promise<LoadedTasks>;
  /** The siblings of a task in its group run that `scope` names (sync-cascade.ts), in file order. */
  loadSiblings(tx: Tx, groupRunId: string, at: { seq: number; scope: SiblingScope }): Promise<TaskRow[]>;
  /**
   * Writes the changed rows and their events, all or nothing: answers false (writing nothing) if any
   * row's version is no longer the one expected.
   */
  commit(tx: Tx, writes: TaskWrite[], events: TaskEventDraft[]): Promise<boolean>;
  /** New task rows (a group run being created, in the caller's transaction). */
  insertTasks(tx: Tx, rows: TaskRow[]): Promise<void>;
  /** Keeps rows just written elsewhere (a group run's tasks as created) where the store can answer from memory. */
  remember?(rows: TaskRow[]): void;
  /** A group's live tasks as the database has them now. */
  live(groupRunId: string): Promise<TaskRow[]>;
  /** A group's tasks ready to be sent, in file order. */
  readyIds(groupRunId: string): Promise<string[]>;
}

/** The task store; the storage module picks the adapter for the database and wraps it in the cache. */
export const TASK_STORE = Symbol('TASK_STORE');

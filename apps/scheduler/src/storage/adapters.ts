import type { Db } from '#ferry/persistence';
import type { GroupStore } from '../groups/group-store.js';
import { CachingTaskStore } from '../tasks/caching-task-store.js';
import type { TaskStore } from '../tasks/task-store.js';
import type { TriggerWriter } from '../triggers/trigger-writer.js';
import type { Tuning } from '../tuning.js';
import { OrmGroupStore } from './orm/orm-group-store.js';
import { OrmTaskStore } from './orm/orm-task-store.js';
import { OrmTriggerWriter } from './orm/orm-trigger-writer.js';
import { PgGroupStore } from './pg/pg-group-store.js';
import { PgTaskStore } from './pg/pg-task-store.js';
import { PgTriggerWriter } from './pg/pg-trigger-writer.js';

export interface StorageAdapters {
  tasks: TaskStore;
  groups: GroupStore;
  triggers: TriggerWriter;
}

type StorageTuning = Pick<
  Tuning,
  'triggerStatementMaxTasks' | 'triggerSharedMaxTasks' | 'ormInsertChunk' | 'pgInsertChunk' | 'taskCacheRows'
>;

/**
 * The adapters for a database, chosen once: PostgreSQL's set-based statements, or TypeORM's query
 * builder for SQLite and Oracle; the task store behind its cache either way. The one place that asks
 * which database it is.
 */
export function adaptersFor(db: Db, tuning: StorageTuning): StorageAdapters {
  const postgres = db.type === 'postgres';
  const tasks = postgres
    ? new PgTaskStore(db, tuning.ormInsertChunk, tuning.pgInsertChunk)
    : new OrmTaskStore(db, tuning.ormInsertChunk);
  return {
    tasks: new CachingTaskStore(tasks, tuning.taskCacheRows),
    groups: postgres ? new PgGroupStore(db) : new OrmGroupStore(db),
    triggers: postgres
      ? new PgTriggerWriter(db, tuning.triggerStatementMaxTasks, tuning.triggerSharedMaxTasks)
      : new OrmTriggerWriter(tasks),
  };
}

import type { Db } from '#ferry/persistence';
import type { GroupStore } from '../groups/group-store.js';
import { TaskStore } from '../tasks/task-store.js';
import type { TriggerWriter } from '../triggers/trigger-writer.js';
import type { Tuning } from '../tuning.js';
import { OrmGroupStore } from './orm/orm-group-store.js';
import { OrmTriggerWriter } from './orm/orm-trigger-writer.js';
import { PgGroupStore } from './pg/pg-group-store.js';
import { PgTriggerWriter } from './pg/pg-trigger-writer.js';

export interface StorageAdapters {
  tasks: TaskStore;
  groups: GroupStore;
  triggers: TriggerWriter;
}

/**
 * The adapters for a database, chosen once: PostgreSQL's set-based statements, or TypeORM's query
 * builder for SQLite and Oracle. The one place that asks which database it is.
 */
export function adaptersFor(db: Db, tuning: Pick<Tuning, 'triggerStatementMaxTasks'>): StorageAdapters {
  if (db.type === 'postgres') {
    return {
      tasks: new TaskStore(true),
      groups: new PgGroupStore(db),
      triggers: new PgTriggerWriter(db, tuning.triggerStatementMaxTasks),
    };
  }
  return { tasks: new TaskStore(false), groups: new OrmGroupStore(db), triggers: new OrmTriggerWriter() };
}

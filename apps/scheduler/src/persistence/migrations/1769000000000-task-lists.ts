import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/**
 * The task-run list (`GET /task-runs`), newest first by (created_at, id): without these an operator's
 * list sorts the whole history on every page. A status filter reads its own index in the same order;
 * filters on the definition or business date go through the group (ix_group_definition, its primary key).
 */
const INDEXES = [
  new TableIndex({ name: 'ix_task_created', columnNames: ['created_at', 'id'] }),
  new TableIndex({ name: 'ix_task_status_created', columnNames: ['status', 'created_at'] }),
];

export class TaskLists1769000000000 implements MigrationInterface {
  name = 'TaskLists1769000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const index of INDEXES) await q.createIndex('task_run', index);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const index of INDEXES) await q.dropIndex('task_run', index.name!);
  }
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Db } from '#ferry/persistence';
import { createTestDatabase, type TestDatabase } from '#ferry/testing';
import { openSchedulerDb, TaskRunEntity } from '../../apps/scheduler/src/persistence/index.js';
import { TASK_ROW } from '../../apps/scheduler/src/tasks/task-row.js';

// The task_run entity is derived from the row description (tasks/task-row.ts) and the table from the
// migrations: TypeORM's schema builder, asked what it would change, must find no column to add, alter
// or drop. Indexes are left out: the migrations name them, the entities do not declare them.
describe.each(['sqlite', 'postgres'] as const)('the scheduler entities against the migrated tables on %s', (type) => {
  let database: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    database = await createTestDatabase(type, 2);
    db = await openSchedulerDb(database.config);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('finds no column to change (task_run included)', async () => {
    const { upQueries } = await db.dataSource.driver.createSchemaBuilder().log();
    const changes = upQueries.map((q) => q.query).filter((q) => !/^(DROP INDEX|CREATE (UNIQUE )?INDEX)/.test(q));
    expect(changes).toEqual([]);
    const taskRun = db.dataSource.getMetadata(TaskRunEntity).columns.map((c) => c.databaseName);
    expect(taskRun).toEqual(Object.values(TASK_ROW).map((f) => f.column));
  });
});

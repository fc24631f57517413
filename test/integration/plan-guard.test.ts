import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { TEST_PG_URL } from '#ferry/testing';
import type { Db } from '#ferry/persistence';
import { createTestDatabase, type TestDatabase } from '#ferry/testing';
import { DefinitionEntity, openSchedulerDb } from '../../apps/scheduler/src/persistence/index.js';
import { PlanGuard, pgPool, planGuard } from '../../apps/scheduler/src/storage/pg/plan-guard.js';
import { definitionRow } from './support/definition-row.js';
import { schedulerParts } from './support/scheduler-parts.js';

// Why the task store names its statements only once task_run's statistics say it is big, on a real
// PostgreSQL: a generic plan made while a table is small keeps scanning it whole as it grows.
describe('PlanGuard on PostgreSQL', () => {
  let client: pg.Client;
  const table = `plan_guard_${process.pid}_${Date.now()}`;
  const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => `t${from + i}`);
  const update =
    `UPDATE ${table} t SET version = t.version + 1 ` +
    `FROM unnest($1::varchar[], $2::int[]) AS v(id, expected) WHERE t.id = v.id AND t.version = v.expected`;
  const plan = async (sql: string): Promise<string> =>
    (await client.query(sql)).rows.map((r) => r['QUERY PLAN']).join('\n');

  beforeAll(async () => {
    client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    // No autovacuum: an ANALYZE in the middle would replace the plan this test looks at.
    await client.query(
      `CREATE TABLE ${table} (id varchar(36) PRIMARY KEY, version int NOT NULL) WITH (autovacuum_enabled = false)`,
    );
  });
  afterAll(async () => {
    await client?.query(`DROP TABLE IF EXISTS ${table}`);
    await client?.end();
  });

  it(
    'a statement prepared on a small table keeps its whole-table scan after the table grows; ' +
      'planned afresh it uses the index',
    async () => {
      await client.query(`INSERT INTO ${table} SELECT unnest($1::varchar[]), 1`, [rows(0, 20)]);
      await client.query(`PREPARE small_plan(varchar[], int[]) AS ${update}`);
      // the sixth run uses the generic plan
      for (let i = 0; i < 6; i++) await client.query(`EXECUTE small_plan('{t1,t2}', '{1,1}')`);
      await client.query(`INSERT INTO ${table} SELECT unnest($1::varchar[]), 1`, [rows(20, 20_000)]);
      expect(await plan(`EXPLAIN EXECUTE small_plan('{t1,t2}', '{1,1}')`)).toMatch(/Seq Scan on plan_guard/);
      expect(
        await plan(
          `EXPLAIN ${update.replace('$1::varchar[]', `'{t1,t2}'::varchar[]`).replace('$2::int[]', `'{1,1}'::int[]`)}`,
        ),
      ).toMatch(/Index Scan using/);
      await client.query('DEALLOCATE small_plan');
    },
  );

  it('allows names only once the statistics say the table is big, and looks again when due', async () => {
    const own = `${table}_b`;
    await client.query(
      `CREATE TABLE ${own} (id varchar(36) PRIMARY KEY, version int NOT NULL) WITH (autovacuum_enabled = false)`,
    );
    try {
      await client.query(`INSERT INTO ${own} SELECT unnest($1::varchar[]), 1`, [rows(0, 12_000)]);
      let now = 0;
      const pool = { query: (q: string | { text: string; values: unknown[] }) => client.query(q) };
      const guard = new PlanGuard(pool, own, 10_000, 1000, () => now);
      // Never analyzed (reltuples -1), however many rows it has by now.
      expect(await guard.check()).toBe(false);
      expect(guard.name('ferry_1')).toBeUndefined();
      await client.query(`ANALYZE ${own}`);
      expect(guard.name('ferry_1')).toBeUndefined(); // the last answer holds until the next look is due
      now = 1000;
      guard.name('ferry_1'); // due: starts a look in the background
      await waitFor(() => guard.name('ferry_1') === 'ferry_1');
      expect(guard.name('ferry_2')).toBe('ferry_2');
      // A table that is not there (dropped, another schema): no names.
      expect(await new PlanGuard(pool, 'no_such_table_here').check()).toBe(false);
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${own}`);
    }
  });
});

// The task store and the group recount on one pooled connection: while task_run is new nothing they
// run is prepared under a name; once its statistics say it is big, their statements are.
describe('the scheduler statements and PlanGuard on PostgreSQL', () => {
  let database: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    database = await createTestDatabase('postgres', 1);
    db = await openSchedulerDb(database.config);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('unnamed while task_run is small, named once it is big', async () => {
    const pool = pgPool(db.dataSource);
    const prepared = async () =>
      (await pool.query('SELECT name FROM pg_prepared_statements')).rows
        .map((r) => String(r.name))
        .filter((n) => n.startsWith('ferry_'))
        .sort();
    const { engine, recounter, factory } = schedulerParts(db, { lanes: 1 });
    const claimAll = async () => {
      const now = Date.now();
      const definition = definitionRow('ASYNC', now);
      const plan = factory.plan(definition, { files: [{ name: 'f1' }, { name: 'f2' }] }, null, now);
      await db.tx(async (em) => {
        await em.insert(DefinitionEntity, definition as object);
        await factory.persist(em, plan);
      });
      const claims = await engine.applyBatch(plan.tasks.map((t) => ({ taskId: t.id, cmd: { kind: 'claim' } })));
      expect(claims.map((c) => c.answer.type)).toEqual(['send', 'send']);
      await recounter.refreshMany([plan.group.id]);
    };
    await planGuard(pool).check();
    await claimAll();
    expect(await prepared()).toEqual([]);

    await pool.query(`INSERT INTO task_run
        (id, group_run_id, seq, file, status, attempt, max_attempts, overdue, version, created_at, updated_at)
      SELECT 'old-' || g, 'old-group-' || (g / 100), g % 100, '{}', 'SUCCEEDED', 1, 1, 0, 1, 0, 0
      FROM generate_series(1, 12000) g`);
    await pool.query('ANALYZE task_run');
    expect(await planGuard(pool).check()).toBe(true);
    await claimAll();
    // The task store's load and commit, and the recount's lock and count (nothing moved a count: no update).
    expect(await prepared()).toEqual(expect.arrayContaining(['ferry_group_counts', 'ferry_group_lock']));
    expect((await prepared()).filter((n) => /^ferry_\d+$/.test(n)).length).toBeGreaterThanOrEqual(2);
  });
});

async function waitFor(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ok()).toBe(true);
}

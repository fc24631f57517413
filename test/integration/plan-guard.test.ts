import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { TEST_PG_URL } from '#ferry/testing';
import { PlanGuard } from '../../apps/scheduler/src/persistence/plan-guard.js';

// Why the task store names its statements only once task_run's statistics say it is big, on a real
// PostgreSQL: a generic plan made while a table is small keeps scanning it whole as it grows.
describe('PlanGuard on PostgreSQL', () => {
  let client: pg.Client;
  const table = `plan_guard_${process.pid}_${Date.now()}`;
  const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => `t${from + i}`);
  const update = `UPDATE ${table} t SET version = t.version + 1 FROM unnest($1::varchar[], $2::int[]) AS v(id, expected) WHERE t.id = v.id AND t.version = v.expected`;
  const plan = async (sql: string): Promise<string> => (await client.query(sql)).rows.map((r) => r['QUERY PLAN']).join('\n');

  beforeAll(async () => {
    client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    // No autovacuum: an ANALYZE in the middle would replace the plan this test looks at.
    await client.query(`CREATE TABLE ${table} (id varchar(36) PRIMARY KEY, version int NOT NULL) WITH (autovacuum_enabled = false)`);
  });
  afterAll(async () => {
    await client?.query(`DROP TABLE IF EXISTS ${table}`);
    await client?.end();
  });

  it('a statement prepared on a small table keeps its whole-table scan after the table grows; planned afresh it uses the index', async () => {
    await client.query(`INSERT INTO ${table} SELECT unnest($1::varchar[]), 1`, [rows(0, 20)]);
    await client.query(`PREPARE small_plan(varchar[], int[]) AS ${update}`);
    for (let i = 0; i < 6; i++) await client.query(`EXECUTE small_plan('{t1,t2}', '{1,1}')`); // the sixth run uses the generic plan
    await client.query(`INSERT INTO ${table} SELECT unnest($1::varchar[]), 1`, [rows(20, 20_000)]);
    expect(await plan(`EXPLAIN EXECUTE small_plan('{t1,t2}', '{1,1}')`)).toMatch(/Seq Scan on plan_guard/);
    expect(await plan(`EXPLAIN ${update.replace('$1::varchar[]', `'{t1,t2}'::varchar[]`).replace('$2::int[]', `'{1,1}'::int[]`)}`)).toMatch(/Index Scan using/);
    await client.query('DEALLOCATE small_plan');
  });

  it('allows names only once the statistics say the table is big, and looks again when due', async () => {
    let now = 0;
    const pool = { query: (text: string) => client.query(text) };
    const guard = new PlanGuard(pool, table, 10_000, 1000, () => now);
    // Never analyzed (reltuples -1), however many rows it has by now.
    expect(await guard.check()).toBe(false);
    expect(guard.name('ferry_1')).toBeUndefined();
    await client.query(`ANALYZE ${table}`);
    expect(guard.name('ferry_1')).toBeUndefined(); // the last answer holds until the next look is due
    now = 1000;
    guard.name('ferry_1'); // due: starts a look in the background
    await waitFor(() => guard.name('ferry_1') === 'ferry_1');
    expect(guard.name('ferry_2')).toBe('ferry_2');
    // A table that is not there (dropped, another schema): no names.
    expect(await new PlanGuard(pool, 'no_such_table_here').check()).toBe(false);
  });
});

async function waitFor(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ok()).toBe(true);
}

import type pg from 'pg';

/** Each table copied, and how a copy's columns differ: its own ids, its owner's copy, a message id of its own. */
const COPIES: Array<{ table: string; map: Record<string, (k: string) => string> }> = [
  { table: 'trigger_message', map: { id: copyId('id'), message_id: (k) => `message_id || ':h' || ${k}` } },
  { table: 'group_run', map: { id: copyId('id'), trigger_id: copyId('trigger_id') } },
  { table: 'task_run', map: { id: copyId('id'), group_run_id: copyId('group_run_id') } },
  { table: 'task_event', map: { id: copyId('id'), task_run_id: copyId('task_run_id') } },
];

/** The k-th copy's id of an id: the same for a row and the rows that name it. */
function copyId(column: string): (k: string) => string {
  return (k) => `md5(${column} || ':' || ${k})::uuid::text`;
}

/**
 * A database in service holds the runs of earlier days, and autovacuum has analyzed it; the scheduler then lets
 * PostgreSQL keep its hot statements prepared (PlanGuard: once `task_run` is known to be big). The bench's database
 * is new, and the PostgreSQL it runs on may have autovacuum off: without this, each of those statements is parsed
 * and planned at every run, which is the state of a new deployment's first minute, not of one in service.
 *
 * Posts runs to copy (`postRuns`, which also warms the scheduler up) and waits for them to end; then copies the runs
 * there (triggers, runs, tasks and their events, each copy with ids of its own) until `task_run` holds at least
 * `tasks` rows, and analyzes the database. Answers the task rows.
 */
export async function seedHistory(client: pg.Client, tasks: number, postRuns: () => Promise<unknown>): Promise<number> {
  await postRuns();
  // Every run posted exists once the posts are answered: they have all ended (and been recounted) when none runs.
  for (const until = Date.now() + 120_000; ;) {
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM group_run WHERE status = 'RUNNING'`);
    if (rows[0].n === 0) break;
    if (Date.now() > until) throw new Error('seedHistory: the runs to copy did not end within 2 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  const count = async () => Number((await client.query('SELECT count(*) AS n FROM task_run')).rows[0].n);
  const have = await count();
  if (!have) throw new Error('seedHistory copies finished runs: there are none yet');
  const copies = Math.ceil(tasks / have) - 1;
  if (copies > 0) {
    await client.query('BEGIN');
    for (const { table, map } of COPIES) {
      const { rows } = await client.query(
        `SELECT column_name AS c FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
        [table],
      );
      const columns = rows.map((r) => `"${r.c}"`).join(', ');
      const values = rows.map((r) => map[r.c]?.('k') ?? `"${r.c}"`).join(', ');
      await client.query(
        `INSERT INTO ${table} (${columns}) SELECT ${values} FROM ${table}, generate_series(1, $1::int) AS k`,
        [copies],
      );
    }
    await client.query('COMMIT');
  }
  await client.query('ANALYZE');
  // The copies' WAL would otherwise set off a checkpoint in the measured window (seen: one spread over 65 s,
  // with full-page writes after it): one now, before the window. A role without the right skips it.
  await client.query('CHECKPOINT').catch(() => undefined);
  return count();
}

/** What a benchmark's table says of its database. */
export function historyLabel(tasks: number): string {
  return tasks > 0 ? `PostgreSQL (${tasks.toLocaleString('en-US')} tasks of history, analyzed)` : 'PostgreSQL (new)';
}

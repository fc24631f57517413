/** What the raw PostgreSQL paths use of pg's pool (TypeORM's driver keeps it as `master`). */
export interface PgClient {
  query(
    q: string | { text: string; values: unknown[]; name?: string },
  ): Promise<{ rows: Array<Record<string, unknown>> }>;
}
export interface PgPool extends PgClient {
  connect(): Promise<PgClient & { release(): void }>;
}

/** The pg pool under a PostgreSQL data source. */
export function pgPool(dataSource: { driver: unknown }): PgPool {
  return (dataSource.driver as { master: PgPool }).master;
}

/**
 * When the hot statements may be prepared once per connection (named) on PostgreSQL.
 *
 * A named statement gets a cached generic plan after five runs, made from the statistics of that
 * moment. Made while `task_run` looks small (a new database, or a burst in the minute before
 * autovacuum first analyzes the table), that plan joins a batch to `task_run` by reading the whole
 * table, and it keeps doing so as the table grows: in the lifecycle benchmark's fresh database every
 * commit read thousands of rows for a dozen tasks. So statements are named only once the statistics
 * say the table is big enough that a plan made from them looks rows up by index; until then each run
 * is planned for the table as it is (unnamed). The answer is re-read every `recheckMs`; a plan made
 * before an ANALYZE is dropped by PostgreSQL when the statistics change.
 */
export class PlanGuard {
  private big = false;
  private checkedAt = -Infinity;
  private checking = false;

  constructor(
    private readonly pool: PgClient,
    private readonly table = 'task_run',
    private readonly minRows = 10_000,
    private readonly recheckMs = 30_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** `name` while generic plans are safe, else undefined (pg then plans the statement at each run). */
  name(name: string): string | undefined {
    if (!this.checking && this.clock() - this.checkedAt >= this.recheckMs) void this.check();
    return this.big ? name : undefined;
  }

  /** Reads the table's row estimate now (also what `name` does in the background when due). */
  async check(): Promise<boolean> {
    this.checking = true;
    try {
      const { rows } = await this.pool.query({
        text: 'SELECT reltuples FROM pg_class WHERE oid = to_regclass($1)',
        values: [this.table],
      });
      // reltuples is -1 until the table is first analyzed.
      this.big = Number(rows[0]?.reltuples ?? -1) >= this.minRows;
      this.checkedAt = this.clock();
    } catch {
      this.checkedAt = this.clock(); // unknown: keep the last answer, ask again later
    } finally {
      this.checking = false;
    }
    return this.big;
  }
}

const guards = new WeakMap<object, PlanGuard>();

/** The guard of a pool (one per data source). */
export function planGuard(pool: PgClient): PlanGuard {
  let guard = guards.get(pool);
  if (!guard) guards.set(pool, (guard = new PlanGuard(pool)));
  return guard;
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '#ferry/testing';
import { openSchedulerDb, schedulerMigrations } from '../../apps/scheduler/src/persistence/index.js';
import type { Db } from '#ferry/persistence';

// Three instances started together on a new PostgreSQL database (a first deployment, a fresh
// environment): each boots, and the schema is made once.
describe('scheduler instances booting together on a new PostgreSQL database', () => {
  let db: TestDatabase;
  const opened: Db[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('postgres', 3);
  });
  afterAll(async () => {
    for (const d of opened) await d.close();
    await db?.drop();
  });

  it('all start, and each migration runs once', async () => {
    const results = await Promise.allSettled([1, 2, 3].map(() => openSchedulerDb(db.config)));
    for (const r of results) if (r.status === 'fulfilled') opened.push(r.value);
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'started'))).toEqual([
      'started',
      'started',
      'started',
    ]);
    const rows: Array<{ name: string; n: number }> = await opened[0].dataSource.query(
      'SELECT name, count(*)::int AS n FROM scheduler_migrations GROUP BY name',
    );
    expect(rows.map((r) => r.n)).toEqual(schedulerMigrations().map(() => 1));
    // The lock is given back: a later boot migrates (nothing left) without waiting.
    const later = await openSchedulerDb(db.config);
    opened.push(later);
    const locks: Array<{ n: number }> = await later.dataSource.query(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(locks[0].n).toBe(0);
  });

  it("runs its sessions without PostgreSQL's JIT (short statements; a compile costs up to a second)", async () => {
    const rows: Array<{ jit: string }> = await opened[0].dataSource.query('SHOW jit');
    expect(rows[0].jit).toBe('off');
  });
});

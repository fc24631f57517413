import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseConfig, DatabaseType } from '#ferry/persistence';

export const TEST_PG_URL = process.env.FERRY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.FERRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  config: DatabaseConfig;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database per test file, so suites can run in parallel on one server:
 * a new PostgreSQL database on the local server, or a new SQLite file in a temp folder.
 */
export async function createTestDatabase(type: Exclude<DatabaseType, 'oracle'>, poolSize = 10): Promise<TestDatabase> {
  if (type === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-test-'));
    return {
      config: { type, url: join(dir, 'test.sqlite'), poolSize: 1, logging: false },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `ferry_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return {
    config: { type, url: url.toString(), poolSize, logging: false },
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The databases a "same suite on both" test runs against. */
export const TEST_DB_TYPES: Array<Exclude<DatabaseType, 'oracle'>> = ['sqlite', 'postgres'];

/** A unique BullMQ prefix per test so suites sharing one Redis never see each other's jobs. */
export function uniquePrefix(label: string): string {
  return `{ft-${label}-${Math.random().toString(36).slice(2, 8)}}`;
}

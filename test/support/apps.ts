import { DEV_MODE_ENV } from '#ferry/testing';
import type { DatabaseConfig } from '#ferry/persistence';
import Database from 'better-sqlite3';
import pg from 'pg';
import { type ConsumerConfig, consumerConfigFromEnv } from '../../apps/consumer/src/config.js';
import { DIST_WORKER } from './build.js';
import { type ProviderConfig, providerConfigFromEnv } from '../../apps/provider/src/config.js';

/** The env a test passes to an app: port 0, quiet, its own database. */
export function dbEnv(prefix: 'FERRY_PROVIDER' | 'FERRY_CONSUMER', db: DatabaseConfig): Record<string, string> {
  return {
    ...DEV_MODE_ENV,
    [`${prefix}_PORT`]: '0',
    [`${prefix}_HOST`]: '127.0.0.1',
    [`${prefix}_DB_TYPE`]: db.type,
    [`${prefix}_DB_URL`]: db.url,
    [`${prefix}_LOG`]: 'false',
  };
}

export function testProviderConfig(
  db: DatabaseConfig,
  schedulerUrl: string,
  extra: Record<string, string> = {},
): ProviderConfig {
  return providerConfigFromEnv({
    ...dbEnv('FERRY_PROVIDER', db),
    FERRY_PROVIDER_SCHEDULER_URL: schedulerUrl,
    FERRY_PROVIDER_OUTBOX_POLL_MS: '50',
    ...extra,
  });
}

export function testConsumerEnv(
  db: DatabaseConfig,
  providerUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...dbEnv('FERRY_CONSUMER', db),
    FERRY_CONSUMER_PROVIDER_URL: providerUrl,
    FERRY_CONSUMER_WORKER_FILE: DIST_WORKER,
    FERRY_CONSUMER_WORKERS: '2',
    FERRY_CONSUMER_PAGE_SIZE: '20',
    FERRY_CONSUMER_PROGRESS_MS: '100',
    FERRY_CONSUMER_OUTBOX_POLL_MS: '50',
    ...extra,
  };
}

export function testConsumerConfig(
  db: DatabaseConfig,
  providerUrl: string,
  extra: Record<string, string> = {},
): ConsumerConfig {
  return consumerConfigFromEnv(testConsumerEnv(db, providerUrl, extra));
}

/** Reads a whole target table straight from the consumer's database, ordered by `orderBy`. */
export async function readTable(
  db: DatabaseConfig,
  table: string,
  orderBy: string,
): Promise<Array<Record<string, unknown>>> {
  const sql = `SELECT * FROM "${table}" ORDER BY "${orderBy}"`;
  if (db.type === 'sqlite') {
    const conn = new Database(db.url, { readonly: true });
    try {
      return conn.prepare(sql).all() as Array<Record<string, unknown>>;
    } finally {
      conn.close();
    }
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

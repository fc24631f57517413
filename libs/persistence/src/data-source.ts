import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, type DataSourceOptions, MigrationExecutor, type MixedList } from 'typeorm';
import type { DatabaseConfig } from './database-config.js';
import { SqlLogger } from './sql-logger.js';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own type for entity classes
type Classes = MixedList<Function | string>;

export interface DataSourceParts {
  entities: Classes;
  migrations: Classes;
  /** Keeps each app's migration bookkeeping apart when apps share one database. */
  migrationsTableName: string;
  /** PostgreSQL settings for every session of the app's pool (`-c name=value`, after any PGOPTIONS). */
  postgresSettings?: Record<string, string>;
}

/** Builds the TypeORM options for one app; schema comes from migrations, never `synchronize`. */
export function dataSourceOptions(config: DatabaseConfig, parts: DataSourceParts): DataSourceOptions {
  const common = {
    entities: parts.entities,
    migrations: parts.migrations,
    migrationsTableName: parts.migrationsTableName,
    synchronize: false,
    logging: config.logging,
    // Query parameters redacted: TypeORM's default logger prints them, secrets and payloads included.
    logger: new SqlLogger(config.logging),
  };
  switch (config.type) {
    case 'sqlite':
      if (config.url !== ':memory:') mkdirSync(dirname(config.url), { recursive: true });
      return {
        ...common,
        type: 'better-sqlite3',
        database: config.url,
        enableWAL: true,
        // Another process (a CLI, a second app) may hold the write lock for a moment.
        prepareDatabase: (db: { pragma(s: string): unknown }) => {
          db.pragma('busy_timeout = 10000');
          db.pragma('synchronous = NORMAL');
        },
      } as DataSourceOptions;
    case 'postgres':
      return {
        ...common,
        type: 'postgres',
        url: config.url,
        extra: { max: config.poolSize, ...sessionOptions(parts.postgresSettings) },
      };
    case 'oracle':
      // oracledb Thin mode: no Instant Client needed.
      return {
        ...common,
        type: 'oracle',
        connectString: oracleConnectString(config.url),
        ...oracleCredentials(config.url),
        extra: { poolMax: config.poolSize },
      } as DataSourceOptions;
  }
}

/** pg's `options` (the startup packet's) for `settings`; pg reads PGOPTIONS only when none are given, so it leads. */
function sessionOptions(settings: Record<string, string> | undefined): { options?: string } {
  if (!settings || !Object.keys(settings).length) return {};
  const own = Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`);
  return { options: [process.env.PGOPTIONS, ...own].filter(Boolean).join(' ') };
}

/** What oracledb's getConnection takes, from an oracle:// URL (the consumer's worker threads connect themselves). */
export function oracleConnectOptions(url: string): { connectString: string; user: string; password: string } {
  const { username, password } = oracleCredentials(url);
  return { connectString: oracleConnectString(url), user: username, password };
}

function oracleConnectString(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 1521}${u.pathname}`;
}

function oracleCredentials(url: string): { username: string; password: string } {
  const u = new URL(url);
  return { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
}

export async function openDataSource(config: DatabaseConfig, parts: DataSourceParts): Promise<DataSource> {
  const ds = new DataSource(dataSourceOptions(config, parts));
  await ds.initialize();
  try {
    await migrate(ds, parts.migrationsTableName);
  } catch (err) {
    // A migration that stops the boot leaves no pool open behind it.
    await ds.destroy();
    throw err;
  }
  return ds;
}

/**
 * Runs the pending migrations, each in its own transaction. Instances that boot together on a new
 * PostgreSQL database would each find every migration pending and create the same tables, and all
 * but one fail on the catalog's unique key; there they migrate one at a time under a session advisory
 * lock (per migrations table: apps sharing a database do not wait for each other), on the connection
 * that holds it, and the next finds nothing left to do. Oracle's equivalent (DBMS_LOCK) needs a grant
 * the schema owner may not have: there, start one instance first on a new schema. SQLite is one process.
 */
async function migrate(ds: DataSource, table: string): Promise<void> {
  if (ds.options.type !== 'postgres') {
    await ds.runMigrations({ transaction: 'each' });
    return;
  }
  const runner = ds.createQueryRunner();
  const key = `ferry:migrations:${table}`;
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
    const executor = new MigrationExecutor(ds, runner);
    executor.transaction = 'each';
    await executor.executePendingMigrations();
  } finally {
    // Unlocked even after a failed migration (the session lock would otherwise outlive it in the pool).
    await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).catch(() => undefined);
    await runner.release();
  }
}

import Database from 'better-sqlite3';
import pg from 'pg';
import { type DatabaseConfig, type DatabaseType, oracleConnectOptions } from '#ferry/persistence';
import { dialect, named } from '#ferry/sql';

export type Row = Record<string, unknown>;

/**
 * The worker's own connection (TypeORM objects cannot cross threads, and the driver directly is
 * faster on the hot path). SQL is written with `?` placeholders and `{name}` for the migrations'
 * table and column names: quoted on Oracle (which reads a bare name as upper case), bare on
 * PostgreSQL and SQLite (which find the lower-case names so, and whose statements stay as they were).
 * One file at a time per worker, so one connection suffices and a transaction never interleaves
 * with another on it.
 */
export interface Conn {
  readonly type: DatabaseType;
  query(sql: string, params?: unknown[]): Promise<Row[]>;
  /** For statements whose affected-row count matters. */
  exec(sql: string, params?: unknown[]): Promise<number>;
  /** Raw PostgreSQL text (already `$n`), for the bulk path. */
  pg?: pg.Client;
  tx<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openConn(config: DatabaseConfig): Promise<Conn> {
  if (config.type === 'postgres') return openPg(config.url);
  if (config.type === 'sqlite') return openSqlite(config.url);
  return openOracle(config.url);
}

/** The text a driver runs, made once per statement. */
function texts(type: DatabaseType): (sql: string) => string {
  const quote = type === 'oracle' ? (n: string) => `"${n}"` : (n: string) => n;
  const cache = new Map<string, string>();
  return (sql) => {
    let text = cache.get(sql);
    if (text === undefined) cache.set(sql, (text = dialect(named(sql, quote), type)));
    return text;
  };
}

/** Booleans are stored as 0/1 where the database has no boolean type. */
const noBooleans = (params: unknown[]) => params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));

async function openPg(url: string): Promise<Conn> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Each page commits with its own checkpoint, so a page lost to a database crash is simply
  // loaded again on resume: exactness doesn't need a flush per page. (The job's final state is
  // committed by the main thread, synchronously, which flushes everything before it too.)
  await client.query('SET synchronous_commit = off');
  const text = texts('postgres');
  return {
    type: 'postgres',
    pg: client,
    query: async (sql, params = []) => (await client.query(text(sql), params)).rows,
    exec: async (sql, params = []) => (await client.query(text(sql), params)).rowCount ?? 0,
    tx: async (fn) => {
      await client.query('BEGIN');
      try {
        const out = await fn();
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
    close: () => client.end(),
  };
}

function openSqlite(file: string): Conn {
  const db = new Database(file);
  // The main thread holds another connection to this file; wait for its short writes, don't fail.
  db.pragma('busy_timeout = 10000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const stmts = new Map<string, Database.Statement>();
  const text = texts('sqlite');
  const prepare = (sql: string) => stmts.get(sql) ?? (stmts.set(sql, db.prepare(text(sql))), stmts.get(sql)!);
  const toSqlite = noBooleans;
  return {
    type: 'sqlite',
    query: async (sql, params = []) => prepare(sql).all(...toSqlite(params)) as Row[],
    exec: async (sql, params = []) => prepare(sql).run(...toSqlite(params)).changes,
    tx: async (fn) => {
      // IMMEDIATE takes the write lock up front: no deadlock from upgrading a read lock later.
      db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn();
        db.exec('COMMIT');
        return out;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    },
    close: async () => {
      db.close();
    },
  };
}

async function openOracle(url: string): Promise<Conn> {
  // Loaded only here: the other databases' workers never pay for the driver.
  const oracledb = (await import('oracledb')).default;
  // The definitions the worker reads are CLOBs; as strings, not LOB streams.
  oracledb.fetchAsString = [oracledb.DB_TYPE_CLOB];
  const c = await oracledb.getConnection(oracleConnectOptions(url));
  const text = texts('oracle');
  let inTx = false;
  const execute = (sql: string, params: unknown[]) =>
    c.execute(text(sql), noBooleans(params), { outFormat: oracledb.OUT_FORMAT_OBJECT, autoCommit: !inTx });
  return {
    type: 'oracle',
    query: async (sql, params = []) => (await execute(sql, params)).rows ?? [],
    exec: async (sql, params = []) => (await execute(sql, params)).rowsAffected ?? 0,
    tx: async (fn) => {
      inTx = true;
      try {
        const out = await fn();
        await c.commit();
        return out;
      } catch (err) {
        await c.rollback().catch(() => undefined);
        throw err;
      } finally {
        inTx = false;
      }
    },
    close: () => c.close(),
  };
}

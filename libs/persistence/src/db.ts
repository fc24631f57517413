import type { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { DatabaseType } from './database-config.js';
import { isRetryableTxError } from './errors.js';

/**
 * The one way app code touches the database. TypeORM's better-sqlite3 driver shares a single query
 * runner, so two interleaved transactions would silently nest; on SQLite every unit of work is
 * therefore serialised here. PostgreSQL and Oracle run them concurrently on the pool.
 */
export class Db {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly dataSource: DataSource) {}

  get type(): DatabaseType {
    const t = this.dataSource.options.type;
    return t === 'better-sqlite3' ? 'sqlite' : (t as DatabaseType);
  }

  /**
   * Locks the rows a query reads until the transaction ends (FOR UPDATE), where the database has row
   * locks; SQLite has one writer at a time, which serialises the transaction anyway.
   */
  lockForWrite<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>): SelectQueryBuilder<T> {
    return this.type === 'sqlite' ? qb : qb.setLock('pessimistic_write');
  }

  /** Runs `fn` in a transaction, again (up to 5 times) if the database reports a deadlock. */
  tx<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.serialised(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.dataSource.transaction(fn);
        } catch (err) {
          if (attempt >= 5 || !isRetryableTxError(err)) throw err;
          await new Promise((r) => setTimeout(r, attempt * 5 + Math.random() * 10));
        }
      }
    });
  }

  /** Runs reads (or a single statement) outside an explicit transaction. */
  run<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.serialised(() => fn(this.dataSource.manager));
  }

  async close(): Promise<void> {
    await this.chain.catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    if (this.type !== 'sqlite') return fn();
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

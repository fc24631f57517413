import { Inject, Injectable, Logger, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { type Agent, request } from 'undici';
import { TokenCache } from '#ferry/auth';
import { Audience, Scope } from '#ferry/contracts';
import { canonicalJson, type DatasetSpec } from '#ferry/datasets';
import { EgressGuard } from '#ferry/egress';
import { Db, isUniqueViolation } from '#ferry/persistence';
import { dialect, named } from '#ferry/sql';
import { CONSUMER_CONFIG, type ConsumerConfig } from '../config.js';
import { DatasetRefused } from './dataset-refused.js';
import { checkedDefinition, MAX_DEFINITION_BYTES, readCapped } from './definition-check.js';
import { targetTable } from './target-table.js';

/** Tests may provide a clock; the catalog reads Date.now otherwise. */
export const CLOCK = Symbol('CONSUMER_CLOCK');

/**
 * The consumer learns a dataset's schema, key and mapping from the provider that owns it
 * (GET /api/v1/datasets/{name}) when a job needs it, keeps a copy in con_datasets (the workers read
 * it there) and creates the target table the mapping describes. A copy this instance stored less
 * than `datasetMaxAgeMs` ago serves the next jobs without a read; a file whose manifest names a
 * newer schemaVersion than the copy makes the worker ask for a refresh (`refresh(name, version)`).
 * A definition is checked before anything of it is stored (definition-check.ts), and each target
 * table belongs to the dataset that first created it (con_dataset_tables): another dataset mapped
 * onto it, or onto a table the catalog did not create, is refused (DatasetRefused).
 */
@Injectable()
export class DatasetCatalog implements OnApplicationShutdown {
  private readonly logger = new Logger('Datasets');
  private readonly tokens = new TokenCache();
  /** Refreshes in flight by dataset: the jobs of one dataset that start together share one. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** What this instance last stored of each dataset, and when. */
  private readonly known = new Map<string, { schemaVersion: number; at: number }>();
  private readonly agent: Agent;

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(CONSUMER_CONFIG)
    private readonly config: Pick<ConsumerConfig, 'providerUrl' | 'signing' | 'datasetMaxAgeMs' | 'egress'>,
    @Optional() @Inject(CLOCK) private readonly clock: () => number = Date.now,
  ) {
    this.agent = new EgressGuard(config.egress).agent({ keepAliveTimeout: 30_000 });
  }

  onApplicationShutdown(): Promise<void> {
    return this.agent.close();
  }

  providerToken() {
    const { issuer, secret, ttlSeconds } = this.config.signing;
    return {
      issuer,
      audience: Audience.provider,
      scopes: [Scope.dataRead],
      ttlSeconds,
      key: { alg: 'HS256' as const, secret },
    };
  }

  /**
   * Fetches the dataset's definition, stores it and creates its table. Concurrent calls for one
   * dataset share one refresh; another consumer instance doing the same at the same moment makes
   * one of the two writes (the row, or the table's catalog entries) fail as a duplicate, which is
   * answered by doing it again: then the row and the table are there.
   */
  refresh(name: string): Promise<void>;
  /**
   * With `minVersion` (a file's manifest is ahead of the stored copy): reads the definition again
   * whatever its age, and fails if the provider still serves an older one.
   */
  refresh(name: string, minVersion: number): Promise<void>;
  async refresh(name: string, minVersion?: number): Promise<void> {
    if (minVersion !== undefined) {
      await this.inFlight.get(name)?.catch(() => undefined);
      const version = await this.refreshOnce(name);
      if (version < minVersion)
        throw new Error(`Dataset ${name}: the provider serves schemaVersion ${version}, its file needs ${minVersion}`);
      return;
    }
    const hit = this.known.get(name);
    if (hit && this.clock() - hit.at < this.config.datasetMaxAgeMs) return;
    let pending = this.inFlight.get(name);
    if (!pending) {
      pending = this.refreshOnce(name)
        .then(() => undefined)
        .finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, pending);
    }
    return pending;
  }

  /** Reads and stores the definition; answers the schemaVersion the provider served. */
  private async refreshOnce(name: string): Promise<number> {
    const { spec, schemaVersion } = await this.fetch(name);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store(spec, schemaVersion);
        this.known.set(name, { schemaVersion, at: this.clock() });
        return schemaVersion;
      } catch (err) {
        if (!(isUniqueViolation(err) || createdMeanwhile(err)) || attempt >= 3) throw err;
      }
    }
  }

  private async store(spec: DatasetSpec, schemaVersion: number): Promise<void> {
    const text = canonicalJson(spec);
    // Read before the transaction: a table created since then was created by a catalog, for its owner.
    const existed = await this.hasTable(spec.mapping.table);
    await this.db.tx(async (em) => {
      const sql = (s: string) =>
        dialect(
          named(s, (n) => this.db.dataSource.driver.escape(n)),
          this.db.type,
        );
      await this.claimTable(em, sql, spec, existed);
      const n = await em.query(sql('SELECT {name} FROM {con_datasets} WHERE {name} = ?'), [spec.name]);
      // Never back to an older version: another instance may have stored a newer one meanwhile.
      if (n.length)
        await em.query(
          sql(
            'UPDATE {con_datasets} SET {definition} = ?, {schema_version} = ?, {fetched_at} = ? ' +
              'WHERE {name} = ? AND {schema_version} <= ?',
          ),
          [text, schemaVersion, Date.now(), spec.name, schemaVersion],
        );
      else
        await em.query(
          sql('INSERT INTO {con_datasets} ({name}, {definition}, {schema_version}, {fetched_at}) VALUES (?, ?, ?, ?)'),
          [spec.name, text, schemaVersion, Date.now()],
        );
    });
    const qr = this.db.dataSource.createQueryRunner();
    try {
      await this.db.run(() => qr.createTable(targetTable(spec, this.db.type), true));
    } finally {
      await qr.release();
    }
  }

  /**
   * The dataset's table is its own, or becomes so: a table another dataset owns, or one that exists
   * without an owner (the consumer's own, another application's), is refused. Two instances claiming
   * one table at once: one insert fails as a duplicate, and refresh() stores again.
   */
  private async claimTable(
    em: { query: (sql: string, params: unknown[]) => Promise<Array<Record<string, unknown>>> },
    sql: (s: string) => string,
    spec: DatasetSpec,
    existed: boolean,
  ): Promise<void> {
    const table = spec.mapping.table;
    const [owner] = await em.query(sql('SELECT {dataset} FROM {con_dataset_tables} WHERE {table_name} = ?'), [table]);
    if (owner && String(owner.dataset) !== spec.name)
      throw new DatasetRefused(spec.name, `it maps onto table ${table}, which is dataset ${String(owner.dataset)}'s`);
    if (owner) return;
    if (existed) throw new DatasetRefused(spec.name, `it maps onto table ${table}, which exists and is no dataset's`);
    await em.query(sql('INSERT INTO {con_dataset_tables} ({table_name}, {dataset}, {created_at}) VALUES (?, ?, ?)'), [
      table,
      spec.name,
      Date.now(),
    ]);
  }

  private async hasTable(table: string): Promise<boolean> {
    const qr = this.db.dataSource.createQueryRunner();
    try {
      return await this.db.run(() => qr.hasTable(table));
    } finally {
      await qr.release();
    }
  }

  /** The definition, checked (definition-check.ts) before anything of it is stored. */
  private async fetch(name: string): Promise<{ spec: DatasetSpec; schemaVersion: number }> {
    let last = '';
    for (let attempt = 1; attempt <= 5; attempt++) {
      try {
        const res = await request(`${this.config.providerUrl}/api/v1/datasets/${encodeURIComponent(name)}`, {
          dispatcher: this.agent,
          headers: { authorization: `Bearer ${this.tokens.get('provider', this.providerToken())}` },
        });
        const text = await readCapped(res.body, MAX_DEFINITION_BYTES);
        if (text === undefined)
          throw new DatasetRefused(name, `the provider's answer is longer than ${MAX_DEFINITION_BYTES} bytes`);
        if (res.statusCode === 200) return checkedDefinition(name, JSON.parse(text));
        last = `HTTP ${res.statusCode}: ${text.slice(0, 300)}`;
        if (res.statusCode < 500 && res.statusCode !== 429) break;
      } catch (err) {
        if (err instanceof DatasetRefused) throw err;
        last = (err as Error).message;
      }
      this.logger.warn(`dataset ${name}: ${last}; retrying`);
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
    throw new Error(`Dataset ${name} could not be read from the provider: ${last}`);
  }
}

/**
 * PostgreSQL: the table (or one of its indexes) was created by another session between the existence
 * check and the CREATE: 42P07 "relation already exists", or 42710 "type already exists" (its row type).
 */
function createdMeanwhile(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code;
  return code === '42P07' || code === '42710';
}

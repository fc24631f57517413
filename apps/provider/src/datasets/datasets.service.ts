import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  canonicalJson,
  checkDatasetSpec,
  type DatasetDefinition,
  type DatasetSpec,
  datasetSpecSchema,
} from '#ferry/datasets';
import { profileAllows, profileRefusal } from '#ferry/egress';
import { ApiError, type ErrorDetail } from '#ferry/errors';
import { compileSchema } from '#ferry/http';
import { Db } from '#ferry/persistence';
import { dialect, named, num } from '#ferry/sql';
import { PROVIDER_CONFIG, type ProviderConfig } from '../config.js';

type SinkRules = Pick<ProviderConfig, 'sinkOrigins' | 'development'>;
/** Without the configuration (the demo generator, whose dataset has no sink): no profile may be named. */
const NO_SINK_PROFILES: SinkRules = { sinkOrigins: {}, development: false };

const parseSpec = compileSchema<DatasetSpec>(datasetSpecSchema);

/** Datasets: a record schema, a primary key and the consumer-side mapping, all stored as data. */
@Injectable()
export class DatasetsService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Optional() @Inject(PROVIDER_CONFIG) private readonly sinkRules: SinkRules = NO_SINK_PROFILES,
  ) {}

  /** Creates the dataset, or replaces it with schemaVersion + 1 if it changed; same body: no-op. */
  async put(body: unknown): Promise<{ created: boolean; definition: DatasetDefinition }> {
    const spec = parseSpec(body);
    const problems = [...checkDatasetSpec(spec), ...this.sinkProblems(spec)];
    if (problems.length) throw ApiError.validation(problems, 'The dataset definition is inconsistent');
    return this.db.tx(async (em) => {
      const rows: Array<Record<string, unknown>> = await em.query(
        this.sql('SELECT {definition}, {schema_version} FROM {prv_datasets} WHERE {name} = ?'),
        [spec.name],
      );
      await this.refuseTakenTable(em, spec);
      const now = Date.now();
      const text = canonicalJson(spec);
      if (rows.length === 0) {
        await em.query(
          this.sql(
            'INSERT INTO {prv_datasets} ({name}, {definition}, {schema_version}, {created_at}, {updated_at}) ' +
              'VALUES (?, ?, 1, ?, ?)',
          ),
          [spec.name, text, now, now],
        );
        return { created: true, definition: await this.getIn(em, spec.name) };
      }
      if (String(rows[0].definition) !== text) {
        await em.query(
          this.sql(
            'UPDATE {prv_datasets} SET {definition} = ?, {schema_version} = ?, {updated_at} = ? WHERE {name} = ?',
          ),
          [text, num(rows[0].schema_version) + 1, now, spec.name],
        );
      }
      return { created: false, definition: await this.getIn(em, spec.name) };
    });
  }

  /**
   * A sink's auth profile carries a credential: the dataset may send it only to the profile's origins, or
   * whoever may write datasets could have a consumer post a partner's key anywhere (docs/security.md).
   */
  private sinkProblems(spec: DatasetSpec): ErrorDetail[] {
    const profile = spec.sink?.authProfile;
    if (!spec.sink || !profile) return [];
    const origins = Object.hasOwn(this.sinkRules.sinkOrigins, profile)
      ? this.sinkRules.sinkOrigins[profile]
      : undefined;
    if (profileAllows(origins, spec.sink.url, this.sinkRules.development)) return [];
    return [{ path: 'sink.url', problem: profileRefusal(profile, origins, spec.sink.url) }];
  }

  /**
   * A consumer loads each dataset into its own table (snapshots delete what they no longer have), so
   * a dataset mapped onto another's table would overwrite or purge that dataset's rows: 409.
   */
  private async refuseTakenTable(
    em: { query: (sql: string, p: unknown[]) => Promise<unknown> },
    spec: DatasetSpec,
  ): Promise<void> {
    const others = (await em.query(this.sql('SELECT {name}, {definition} FROM {prv_datasets} WHERE {name} <> ?'), [
      spec.name,
    ])) as Array<Record<string, unknown>>;
    const owner = others.find(
      (r) => (JSON.parse(String(r.definition)) as DatasetSpec).mapping.table === spec.mapping.table,
    );
    if (owner)
      throw ApiError.conflict(
        `Table ${spec.mapping.table} is dataset ${String(owner.name)}'s; ` +
          "a dataset may not be mapped onto another's table",
      );
  }

  /** `{name}` markers quoted by the driver (Oracle finds the migrations' lower-case names only quoted). */
  private sql(s: string): string {
    return dialect(
      named(s, (n) => this.db.dataSource.driver.escape(n)),
      this.db.type,
    );
  }

  get(name: string): Promise<DatasetDefinition> {
    return this.db.run((em) => this.getIn(em, name));
  }

  private async getIn(
    em: { query: (sql: string, p: unknown[]) => Promise<unknown> },
    name: string,
  ): Promise<DatasetDefinition> {
    const rows = (await em.query(
      this.sql(
        'SELECT {definition}, {schema_version}, {created_at}, {updated_at} FROM {prv_datasets} WHERE {name} = ?',
      ),
      [name],
    )) as Array<Record<string, unknown>>;
    if (rows.length === 0) throw ApiError.notFound('Dataset', name);
    const r = rows[0];
    return {
      ...(JSON.parse(String(r.definition)) as DatasetSpec),
      schemaVersion: num(r.schema_version),
      createdAt: new Date(num(r.created_at)).toISOString(),
      updatedAt: new Date(num(r.updated_at)).toISOString(),
    };
  }
}

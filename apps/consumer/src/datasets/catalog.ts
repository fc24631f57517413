import { Logger } from '@nestjs/common';
import { request } from 'undici';
import { TokenCache } from '#ferry/auth';
import { Audience, Scope } from '#ferry/contracts';
import { canonicalJson, type DatasetDefinition, type DatasetSpec } from '#ferry/datasets';
import type { Db } from '#ferry/persistence';
import { dialect } from '#ferry/sql';
import type { ConsumerConfig } from '../config.js';
import { targetTable } from './target-table.js';

/**
 * The consumer learns a dataset's schema, key and mapping from the provider that owns it
 * (GET /api/v1/datasets/{name}) when a job needs it, keeps a copy in con_datasets (the workers read
 * it there) and creates the target table the mapping describes.
 */
export class DatasetCatalog {
  private readonly logger = new Logger('Datasets');
  private readonly tokens = new TokenCache();

  constructor(
    private readonly db: Db,
    private readonly config: Pick<ConsumerConfig, 'providerUrl' | 'signing'>,
  ) {}

  providerToken() {
    const { issuer, secret, ttlSeconds } = this.config.signing;
    return { issuer, audience: Audience.provider, scopes: [Scope.dataRead], ttlSeconds, key: { alg: 'HS256' as const, secret } };
  }

  async refresh(name: string): Promise<void> {
    const def = await this.fetch(name);
    const spec: DatasetSpec = { name: def.name, schema: def.schema, key: def.key, mapping: def.mapping };
    const text = canonicalJson(spec);
    await this.db.tx(async (em) => {
      const sql = (s: string) => dialect(s, this.db.type);
      const n = await em.query(sql('SELECT name FROM con_datasets WHERE name = ?'), [name]);
      if (n.length) await em.query(sql('UPDATE con_datasets SET definition = ?, schema_version = ?, fetched_at = ? WHERE name = ?'), [text, def.schemaVersion, Date.now(), name]);
      else await em.query(sql('INSERT INTO con_datasets (name, definition, schema_version, fetched_at) VALUES (?, ?, ?, ?)'), [name, text, def.schemaVersion, Date.now()]);
    });
    const qr = this.db.dataSource.createQueryRunner();
    try {
      await this.db.run(() => qr.createTable(targetTable(spec, this.db.type), true));
    } finally {
      await qr.release();
    }
  }

  private async fetch(name: string): Promise<DatasetDefinition> {
    let last = '';
    for (let attempt = 1; attempt <= 5; attempt++) {
      try {
        const res = await request(`${this.config.providerUrl}/api/v1/datasets/${encodeURIComponent(name)}`, {
          headers: { authorization: `Bearer ${this.tokens.get('provider', this.providerToken())}` },
        });
        const text = await res.body.text();
        if (res.statusCode === 200) return JSON.parse(text) as DatasetDefinition;
        last = `HTTP ${res.statusCode}: ${text.slice(0, 300)}`;
        if (res.statusCode < 500 && res.statusCode !== 429) break;
      } catch (err) {
        last = (err as Error).message;
      }
      this.logger.warn(`dataset ${name}: ${last}; retrying`);
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
    throw new Error(`Dataset ${name} could not be read from the provider: ${last}`);
  }
}

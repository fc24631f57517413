import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { demoDatasetSpec } from '#ferry/datasets';
import { Db, openDataSource } from '#ferry/persistence';
import { createTestDatabase, TEST_DB_TYPES, type TestDatabase } from '#ferry/testing';
import { DatasetCatalog } from '../../apps/consumer/src/datasets/catalog.js';
import { CONSUMER_MIGRATIONS } from '../../apps/consumer/src/database.module.js';

// Two consumer instances on one database learn a dataset neither has seen, at the same moment:
// both must come out with the definition stored once and its table created.
describe.each(TEST_DB_TYPES)('dataset catalogs of two consumer instances on %s', (dbType) => {
  let database: TestDatabase;
  let provider: Server;
  const dbs: Db[] = [];
  const catalogs: DatasetCatalog[] = [];
  /** Reads of each dataset's definition, and the schemaVersion the provider serves (1 unless set). */
  const reads = new Map<string, number>();
  const versions = new Map<string, number>();
  let providerUrl = '';

  beforeAll(async () => {
    database = await createTestDatabase(dbType);
    // The provider answers every dataset's definition after a short wait, so that both instances ask at once.
    provider = createServer((req, res) => {
      const name = decodeURIComponent((req.url ?? '').split('/datasets/')[1] ?? '');
      reads.set(name, (reads.get(name) ?? 0) + 1);
      const schemaVersion = versions.get(name) ?? 1;
      setTimeout(
        () =>
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              ...demoDatasetSpec(name),
              schemaVersion,
              createdAt: new Date().toISOString(),
              updatedAt: new Date().toISOString(),
            }),
          ),
        20,
      );
    });
    await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
    providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    for (let i = 0; i < 2; i++) {
      const db = new Db(
        await openDataSource(database.config, {
          entities: [],
          migrations: CONSUMER_MIGRATIONS,
          migrationsTableName: 'consumer_migrations',
        }),
      );
      dbs.push(db);
      catalogs.push(
        new DatasetCatalog(db, {
          providerUrl,
          signing: { issuer: 'ferry-consumer', secret: 'test-secret-test-secret-test-secret', ttlSeconds: 300 },
          egress: { allowRanges: ['127.0.0.1'], allowHosts: [] },
          datasetMaxAgeMs: 0,
        }),
      );
    }
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    provider?.closeAllConnections();
    await new Promise((r) => provider?.close(r));
    await database?.drop();
  });

  it('both instances refresh five new datasets at once, three jobs each: every refresh succeeds', async () => {
    const names = Array.from({ length: 5 }, (_, i) => `race${i}`);
    const results = await Promise.allSettled(
      names.flatMap((name) => catalogs.flatMap((c) => [c.refresh(name), c.refresh(name), c.refresh(name)])),
    );
    expect(
      results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
    ).toEqual([]);
    const rows = await dbs[0].run((em) => em.query('SELECT name FROM con_datasets ORDER BY name'));
    expect(rows.map((r: { name: string }) => r.name)).toEqual(names);
    for (const name of names)
      expect(
        await dbs[0].run((em) => em.query(`SELECT count(*) AS n FROM ${demoDatasetSpec(name).mapping.table}`)),
      ).toEqual([{ n: expect.anything() }]);
  });

  it(
    'a stored definition serves jobs within its max age without a read; ' +
      'a file needing a newer version reads it at once',
    async () => {
      let now = 1_000_000;
      const catalog = new DatasetCatalog(
        dbs[0],
        {
          providerUrl,
          signing: { issuer: 'ferry-consumer', secret: 'test-secret-test-secret-test-secret', ttlSeconds: 300 },
          egress: { allowRanges: ['127.0.0.1'], allowHosts: [] },
          datasetMaxAgeMs: 60_000,
        },
        () => now,
      );
      const stored = async () =>
        (await dbs[0].run((em) => em.query("SELECT schema_version FROM con_datasets WHERE name = 'aged'")))[0];
      await catalog.refresh('aged');
      await catalog.refresh('aged');
      now += 59_000;
      await catalog.refresh('aged');
      expect(reads.get('aged')).toBe(1);
      now += 2_000;
      await catalog.refresh('aged');
      expect(reads.get('aged')).toBe(2);

      versions.set('aged', 2); // the provider changed the schema; a file's manifest says so
      await catalog.refresh('aged', 2);
      expect(reads.get('aged')).toBe(3);
      expect(Number((await stored()).schema_version)).toBe(2);
      // A provider whose definition lags behind its file's manifest: the refresh fails, the copy stays.
      await expect(catalog.refresh('aged', 3)).rejects.toThrow(/serves schemaVersion 2, its file needs 3/);
      // Another instance that read the old version before the change cannot put it back.
      versions.set('aged', 1);
      await catalogs[1].refresh('aged');
      expect(Number((await stored()).schema_version)).toBe(2);
    },
  );
});

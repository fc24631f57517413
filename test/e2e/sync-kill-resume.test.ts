import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Audience, Scope } from '#ferry/contracts';
import { demoDatasetSpec } from '#ferry/datasets';
import {
  call,
  type ChildApp,
  createTestDatabase,
  devToken,
  type FakeScheduler,
  spawnApp,
  startFakeScheduler,
  TEST_DB_TYPES,
  type TestDatabase,
} from '#ferry/testing';
import { compileMapping } from '../../apps/consumer/src/workers/mapping.js';
import { generatedRecord } from '../../apps/provider/src/files/generator.js';
import { type RunningApp, startProvider } from '../../apps/provider/src/start.js';
import { dbEnv, readTable, testConsumerEnv, testProviderConfig } from '../support/apps.js';
import { DIST_CONSUMER_MAIN, DIST_GENERATOR, ensureBuilt } from '../support/build.js';

const N = 50_000;
const spec = demoDatasetSpec('customers');
const mapping = compileMapping(spec);
const syncToken = devToken(Audience.consumer, [Scope.syncWrite, Scope.syncRead], 'ferry-scheduler');

jest.setTimeout(60_000);

/** Rows as both databases answer them, in one representation (booleans and bigints differ). */
const normal = (r: Record<string, unknown>) =>
  spec.mapping.columns.map((c) => {
    const v = r[c.name];
    if (v === null || v === undefined) return null;
    return c.type === 'boolean'
      ? Boolean(Number(v === true ? 1 : v === false ? 0 : v))
      : c.type === 'integer' || c.type === 'timestamp'
        ? Number(v)
        : v;
  });

describe.each(TEST_DB_TYPES)('a consumer killed mid-file on %s', (dbType) => {
  let providerDb: TestDatabase;
  let consumerDb: TestDatabase;
  let scheduler: FakeScheduler;
  let provider: RunningApp;
  let consumer: ChildApp | undefined;
  let manifest: { fileId: string; recordCount: number; checksum: string };
  let env: Record<string, string>;

  beforeAll(async () => {
    await ensureBuilt();
    [providerDb, consumerDb] = [await createTestDatabase(dbType), await createTestDatabase(dbType)];
    scheduler = await startFakeScheduler();
    provider = await startProvider(testProviderConfig(providerDb.config, scheduler.url));
    // Small pages, so the kill lands mid-file; the same instance id, so the restart resumes at once.
    env = testConsumerEnv(consumerDb.config, provider.url, {
      FERRY_CONSUMER_PAGE_SIZE: '1000',
      FERRY_CONSUMER_INSTANCE_ID: `kill-${dbType}`,
    });
    // Both are processes that take seconds to boot: start them together. The generator CLI writes
    // the large file straight into the provider's database.
    const [gen, started] = await Promise.all([
      promisify(execFile)(process.execPath, [DIST_GENERATOR, '--records', String(N), '--file-id', 'big'], {
        env: { ...process.env, ...dbEnv('FERRY_PROVIDER', providerDb.config) },
      }),
      spawnApp(DIST_CONSUMER_MAIN, env, 'FERRY_CONSUMER_PORT'),
    ]);
    manifest = JSON.parse(gen.stdout);
    consumer = started;
  }, 60_000);

  afterAll(async () => {
    await consumer?.kill('SIGKILL');
    await provider?.close();
    await scheduler?.close();
    await providerDb?.drop();
    await consumerDb?.drop();
  });

  it('resumes from its checkpoint: the table equals the source, counts exact, checksum matches', async () => {
    expect(manifest).toMatchObject({ fileId: 'big', recordCount: N });
    const body = {
      taskRunId: 'big',
      dispatchId: 'd-big',
      callbackUrl: scheduler.callbackUrl('big'),
      dataset: spec.name,
      files: [{ name: 'big.ndjson', fileId: 'big', recordCount: N, checksum: manifest.checksum }],
    };
    const accepted = await call('POST', `${consumer!.url}/api/v1/sync-jobs`, {
      token: syncToken,
      body,
      headers: { 'idempotency-key': 'k-big' },
    });
    expect(accepted.status).toBe(202);
    const jobUrl = (c: ChildApp) => `${c.url}/api/v1/sync-jobs/${accepted.body.jobId}`;

    // Kill it once some pages are committed, well before the end.
    let before = 0;
    for (const until = Date.now() + 30_000; before < N / 10; await new Promise((r) => setTimeout(r, 10))) {
      if (Date.now() > until) throw new Error(`no progress: ${consumer!.output()}`);
      before = (await call('GET', jobUrl(consumer!), { token: syncToken })).body.progress.processed;
    }
    await consumer!.kill('SIGKILL');
    const [checkpoint] = await readTable(consumerDb.config, 'con_job_files', 'job_id');
    expect(checkpoint.status).toBe('RUNNING');
    expect(Number(checkpoint.n_received)).toBeGreaterThanOrEqual(before);
    expect(Number(checkpoint.n_received)).toBeLessThan(N);

    consumer = await spawnApp(DIST_CONSUMER_MAIN, env, 'FERRY_CONSUMER_PORT');
    const done = await scheduler.waitFor(
      () => scheduler.callbacks.find((c) => c.body.status === 'SUCCEEDED' || c.body.status === 'FAILED'),
      45_000,
      'the final report',
    );
    expect(done.body).toMatchObject({
      dispatchId: 'd-big',
      status: 'SUCCEEDED',
      reconciliation: {
        expected: N,
        received: N,
        inserted: N,
        updated: 0,
        deleted: 0,
        unchanged: 0,
        rejected: 0,
        checksum: manifest.checksum,
      },
    });
    expect((await call('GET', jobUrl(consumer), { token: syncToken })).body).toMatchObject({
      status: 'SUCCEEDED',
      progress: { processed: N, total: N },
    });

    // Every row, compared with what the provider's records map to: nothing missing, doubled or different.
    const rows = await readTable(consumerDb.config, spec.mapping.table, 'customer_id');
    const expected = new Map(
      Array.from({ length: N }, (_, n) => {
        const row = (mapping.map(generatedRecord({ mode: 'snapshot' }, n)) as { row: unknown[] }).row;
        return [String(row[0]), normal(Object.fromEntries(spec.mapping.columns.map((c, i) => [c.name, row[i]])))];
      }),
    );
    expect(rows).toHaveLength(N);
    const wrong = rows.map(normal).filter((r) => JSON.stringify(r) !== JSON.stringify(expected.get(String(r[0]))));
    expect(wrong.slice(0, 3)).toEqual([]);
  });
});

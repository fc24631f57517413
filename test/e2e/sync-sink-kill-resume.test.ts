import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { Audience, Scope } from '#ferry/contracts';
import { type DatasetSpec, demoDatasetSpec } from '#ferry/datasets';
import {
  call,
  type ChildApp,
  createTestDatabase,
  devToken,
  FakeRecordApi,
  type FakeScheduler,
  spawnApp,
  startFakeScheduler,
  TEST_REDIS_URL,
  type TestDatabase,
} from '#ferry/testing';
import { type RunningApp, startProvider } from '../../apps/provider/src/start.js';
import { dbEnv, testConsumerEnv, testProviderConfig } from '../support/apps.js';
import { DIST_CONSUMER_MAIN, DIST_GENERATOR, ensureBuilt } from '../support/build.js';

// A dataset whose records go to a partner's REST API (docs/contract-additions.md, "Record sink"): the
// consumer is killed mid-file and restarted; the API, which answers 429 above its own limit, must have
// applied every record exactly once and refused the same ones, whatever was re-sent after the kill.
const N = 2000;
const RATE = 400;
const syncToken = devToken(Audience.consumer, [Scope.syncWrite, Scope.syncRead], 'ferry-scheduler');
const providerWrite = devToken(Audience.provider, [Scope.dataWrite]);
/** The partner refuses ids ending in 37: c-37, c-137, … c-1937. */
const refusedIds = Array.from({ length: N }, (_, i) => `c-${i + 1}`).filter((id) => id.endsWith('37'));

jest.setTimeout(90_000);

describe('a consumer killed mid-file while pushing to a rate-limited record sink', () => {
  const prefix = `ferry-test-sink-e2e-${randomUUID()}:`;
  let providerDb: TestDatabase;
  let consumerDb: TestDatabase;
  let scheduler: FakeScheduler;
  let provider: RunningApp;
  let consumer: ChildApp | undefined;
  let api: FakeRecordApi;
  let env: Record<string, string>;
  let manifest: { checksum: string };
  const spec: DatasetSpec = demoDatasetSpec('sinkcust');

  beforeAll(async () => {
    await ensureBuilt();
    [providerDb, consumerDb] = [await createTestDatabase('postgres'), await createTestDatabase('postgres')];
    api = await new FakeRecordApi({
      ratePerSecond: RATE,
      apiKey: { header: 'x-api-key', value: 'partner-key' },
      refuse: (item) =>
        String(item.key.customer_id).endsWith('37') ? 'customer_id: blocked by the partner' : undefined,
    }).start();
    spec.sink = { type: 'http', url: api.url, ratePerSecond: RATE, authProfile: 'partner' };
    scheduler = await startFakeScheduler();
    provider = await startProvider(testProviderConfig(providerDb.config, scheduler.url));
    const put = await call('POST', `${provider.url}/api/v1/datasets`, { token: providerWrite, body: spec });
    expect(put.status).toBe(201);
    env = testConsumerEnv(consumerDb.config, provider.url, {
      FERRY_CONSUMER_PAGE_SIZE: '100',
      FERRY_CONSUMER_INSTANCE_ID: 'sink-kill',
      FERRY_REDIS_URL: TEST_REDIS_URL,
      FERRY_CONSUMER_REDIS_PREFIX: prefix,
      FERRY_CONSUMER_SINK_PROFILES: 'partner=x-api-key:partner-key',
    });
    const [gen, started] = await Promise.all([
      promisify(execFile)(
        process.execPath,
        [DIST_GENERATOR, '--records', String(N), '--file-id', 'sinkfile', '--dataset', spec.name],
        { env: { ...process.env, ...dbEnv('FERRY_PROVIDER', providerDb.config) } },
      ),
      spawnApp(DIST_CONSUMER_MAIN, env, 'FERRY_CONSUMER_PORT'),
    ]);
    manifest = JSON.parse(gen.stdout);
    consumer = started;
  }, 90_000);

  afterAll(async () => {
    await consumer?.kill('SIGKILL');
    await provider?.close();
    await scheduler?.close();
    await api?.close();
    await providerDb?.drop();
    await consumerDb?.drop();
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('applies every record once, counts exactly, lists the refused ones and keeps to the limit', async () => {
    const started = Date.now();
    const accepted = await call('POST', `${consumer!.url}/api/v1/sync-jobs`, {
      token: syncToken,
      body: {
        taskRunId: 'sink',
        dispatchId: 'd-sink',
        callbackUrl: scheduler.callbackUrl('sink'),
        dataset: spec.name,
        files: [{ name: 'sink.ndjson', fileId: 'sinkfile', recordCount: N, checksum: manifest.checksum }],
      },
      headers: { 'idempotency-key': 'k-sink' },
    });
    expect(accepted.status).toBe(202);
    const jobUrl = (c: ChildApp) => `${c.url}/api/v1/sync-jobs/${accepted.body.jobId}`;

    // Kill it once a few pages are checkpointed and the next is on its way to the API.
    for (const until = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 10))) {
      if (Date.now() > until) throw new Error(`no progress: ${consumer!.output()}`);
      const processed = (await call('GET', jobUrl(consumer!), { token: syncToken })).body.progress.processed;
      if (processed >= 300) break;
    }
    await consumer!.kill('SIGKILL');
    const sentBeforeKill = api.requests.length;
    expect(api.applied.length).toBeLessThan(N - refusedIds.length);

    consumer = await spawnApp(DIST_CONSUMER_MAIN, env, 'FERRY_CONSUMER_PORT');
    const done = await scheduler.waitFor(
      () => scheduler.callbacks.find((c) => c.body.status === 'SUCCEEDED' || c.body.status === 'FAILED'),
      60_000,
      'the final report',
    );
    const seconds = Math.ceil((Date.now() - started) / 1000);
    expect(done.body).toMatchObject({
      status: 'SUCCEEDED',
      reconciliation: {
        expected: N,
        received: N,
        inserted: N - refusedIds.length,
        updated: 0,
        deleted: 0,
        unchanged: 0,
        rejected: refusedIds.length,
        checksum: manifest.checksum,
      },
    });

    // Exactly once at the API: each record applied under one idempotency key, each key once.
    const keys = api.applied.map((i) => i.idempotencyKey);
    expect(api.applied).toHaveLength(N - refusedIds.length);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(api.applied.map((i) => i.key.customer_id)).size).toBe(N - refusedIds.length);
    expect(api.requests.length).toBeGreaterThan(sentBeforeKill);
    // The shared limit held: what was sent fits the limit over the run, plus at most one window.
    expect(api.requests.length).toBeLessThanOrEqual(RATE * (seconds + 1));

    const rejected = await call('GET', `${jobUrl(consumer)}/rejected?limit=100`, { token: syncToken });
    expect(rejected.status).toBe(200);
    // Listed as the provider served them, at their positions in the file.
    expect(rejected.body.items.map((r: { record: { id: string } }) => r.record.id)).toEqual(refusedIds);
    expect(rejected.body.items[0].position).toBe(37);
    expect(rejected.body.items[0].reasons).toEqual(['customer_id: blocked by the partner']);
  });
});

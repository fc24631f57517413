import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { Audience, Scope } from '#ferry/contracts';
import { type DatasetSpec, demoDatasetSpec } from '#ferry/datasets';
import {
  call,
  createTestDatabase,
  DEV_MODE_ENV,
  devToken,
  FakeRecordApi,
  spawnApp,
  startFakeScheduler,
  TEST_REDIS_URL,
} from '#ferry/testing';
import { providerConfigFromEnv } from '../apps/provider/src/config.js';
import { openProviderDb } from '../apps/provider/src/database.js';
import { generateFile } from '../apps/provider/src/files/generator.js';
import { startProvider } from '../apps/provider/src/start.js';

export interface SinkBenchResult {
  records: number;
  /** The sink's ratePerSecond (requests of one record each), or none. */
  limit?: number;
  seconds: number;
  recordsPerSecond: number;
  /** Requests the fake API answered 429 (over its own limit, the same as the sink's). */
  refused: number;
}

const CONSUMER_MAIN = fileURLToPath(new URL('../apps/consumer/src/main.js', import.meta.url));

/**
 * One snapshot file of N records pushed by the consumer to a fake partner API, one record per request,
 * timed from the sync request to the SUCCEEDED callback; with a limit, the API enforces the same one.
 */
export async function runSinkBench(opts: { records: number; limit?: number }): Promise<SinkBenchResult> {
  const providerDb = await createTestDatabase('postgres');
  const consumerDb = await createTestDatabase('postgres');
  const api = await new FakeRecordApi({ ratePerSecond: opts.limit }).start();
  const spec: DatasetSpec = {
    ...demoDatasetSpec('benchsink'),
    sink: { type: 'http', url: api.url, ...(opts.limit ? { ratePerSecond: opts.limit } : {}) },
  };
  const prefix = `ferry-bench-sink-${randomUUID()}:`;
  const scheduler = await startFakeScheduler();
  const provider = await startProvider(
    providerConfigFromEnv({
      ...DEV_MODE_ENV,
      FERRY_PROVIDER_PORT: '0',
      FERRY_PROVIDER_HOST: '127.0.0.1',
      FERRY_PROVIDER_DB_TYPE: 'postgres',
      FERRY_PROVIDER_DB_URL: providerDb.config.url,
      FERRY_PROVIDER_ANNOUNCE: 'false',
      FERRY_PROVIDER_LOG: 'false',
      FERRY_RATE_LIMIT_PER_SECOND: '1000000',
    }),
  );
  const put = await call('POST', `${provider.url}/api/v1/datasets`, {
    token: devToken(Audience.provider, [Scope.dataWrite]),
    body: spec,
  });
  if (put.status !== 201) throw new Error(`dataset: ${put.status} ${JSON.stringify(put.body)}`);
  const db = await openProviderDb(providerDb.config);
  const file = await generateFile(db, undefined, {
    dataset: spec.name,
    fileId: 'bench',
    records: opts.records,
    mode: 'snapshot',
  });
  await db.close();
  const consumer = await spawnApp(
    CONSUMER_MAIN,
    {
      ...DEV_MODE_ENV,
      FERRY_CONSUMER_HOST: '127.0.0.1',
      FERRY_CONSUMER_DB_TYPE: 'postgres',
      FERRY_CONSUMER_DB_URL: consumerDb.config.url,
      FERRY_CONSUMER_PROVIDER_URL: provider.url,
      FERRY_CONSUMER_LOG: 'false',
      FERRY_RATE_LIMIT_PER_SECOND: '1000000',
      FERRY_CONSUMER_INSTANCE_ID: 'bench-sink',
      FERRY_CONSUMER_PAGE_SIZE: '1000',
      FERRY_REDIS_URL: TEST_REDIS_URL,
      FERRY_CONSUMER_REDIS_PREFIX: prefix,
    },
    'FERRY_CONSUMER_PORT',
  );
  try {
    const token = devToken(Audience.consumer, [Scope.syncWrite, Scope.syncRead], 'ferry-scheduler');
    const started = performance.now();
    const res = await call('POST', `${consumer.url}/api/v1/sync-jobs`, {
      token,
      headers: { 'idempotency-key': 'bench-sink' },
      body: {
        taskRunId: 'bench-sink',
        dispatchId: 'd-bench-sink',
        callbackUrl: scheduler.callbackUrl('bench-sink'),
        dataset: spec.name,
        files: [{ name: file.name, fileId: file.fileId, recordCount: file.recordCount, checksum: file.checksum }],
      },
    });
    if (res.status !== 202) throw new Error(`sync request: ${res.status} ${JSON.stringify(res.body)}`);
    const done = await scheduler.waitFor(
      () => scheduler.callbacks.find((c) => c.body.status === 'SUCCEEDED' || c.body.status === 'FAILED'),
      30 * 60_000,
      'the final callback',
    );
    const seconds = (performance.now() - started) / 1000;
    if (done.body.status !== 'SUCCEEDED') throw new Error(`sync failed: ${JSON.stringify(done.body)}`);
    if (api.applied.length !== opts.records) throw new Error(`applied ${api.applied.length}, expected ${opts.records}`);
    return {
      records: opts.records,
      limit: opts.limit,
      seconds,
      recordsPerSecond: opts.records / seconds,
      refused: api.requests.filter((r) => r.status === 429).length,
    };
  } finally {
    await consumer.kill('SIGKILL');
    await provider.close();
    await scheduler.close();
    await api.close();
    await providerDb.drop();
    await consumerDb.drop();
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  }
}

export function printSinkResult(r: SinkBenchResult): void {
  const f = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
  console.log(
    `\nRecord sink (provider → consumer → HTTP API, one record per request), limit ${r.limit ? `${f(r.limit)}/s` : 'none'}`,
  );
  console.table({
    records: f(r.records),
    'wall time (s)': r.seconds.toFixed(2),
    'records/s pushed': f(r.recordsPerSecond),
    ...(r.limit ? { 'share of the limit': (r.recordsPerSecond / r.limit).toFixed(2) } : {}),
    'answered 429': f(r.refused),
  });
}

/** Both runs: FERRY_BENCH_SINK_RECORDS (default 5,000) at 1,000/s, then unlimited. */
export async function runSinkBenches(): Promise<void> {
  const records = Number(process.env.FERRY_BENCH_SINK_RECORDS ?? 5000);
  printSinkResult(await runSinkBench({ records, limit: 1000 }));
  printSinkResult(await runSinkBench({ records }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSinkBenches();
  process.exit(0);
}

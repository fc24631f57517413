import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { Audience, Scope } from '#ferry/contracts';
import { type DatasetSpec, demoDatasetSpec } from '#ferry/datasets';
import { call, createTestDatabase, devToken, FakeRecordApi, startFakeScheduler, TEST_REDIS_URL } from '#ferry/testing';
import { openProviderDb } from '../apps/provider/src/database.js';
import { generateFile } from '../apps/provider/src/files/generator.js';
import { spawnBenchConsumer, startBenchProvider, timeSyncJob } from './sync-fixture.js';

export interface SinkBenchResult {
  records: number;
  /** The sink's ratePerSecond (requests of one record each), or none. */
  limit?: number;
  seconds: number;
  recordsPerSecond: number;
  /** Requests the fake API answered 429 (over its own limit, the same as the sink's). */
  refused: number;
}

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
  const provider = await startBenchProvider(providerDb.config.url);
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
  const consumer = await spawnBenchConsumer(consumerDb.config.url, provider.url, {
    FERRY_CONSUMER_INSTANCE_ID: 'bench-sink',
    FERRY_CONSUMER_PAGE_SIZE: '1000',
    FERRY_REDIS_URL: TEST_REDIS_URL,
    FERRY_CONSUMER_REDIS_PREFIX: prefix,
  });
  try {
    const { seconds } = await timeSyncJob(consumer.url, scheduler, 'bench-sink', [{ ...file, dataset: spec.name }]);
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

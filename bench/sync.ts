import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type { Reconciliation } from '#ferry/contracts';
import { demoDatasetSpec, demoRecord } from '#ferry/datasets';
import { copyLine, CopyIn } from '#ferry/sql';
import { createTestDatabase, startFakeScheduler } from '#ferry/testing';
import { compileMapping } from '../apps/consumer/src/workers/mapping.js';
import { openProviderDb } from '../apps/provider/src/database.js';
import { generateFile } from '../apps/provider/src/files/generator.js';
import { RssSampler } from './proc.js';
import { type BenchFile, spawnBenchConsumer, startBenchProvider, timeSyncJob } from './sync-fixture.js';

export interface SyncBenchResult {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  /** COPY of the same mapped rows into the same database: the ceiling. */
  rawCopyPerSecond: number;
  ratio: number;
  consumerPeakRssMiB: number;
  /** The consumer's RSS at a quarter, half, three quarters and the end of the job: flat or growing. */
  consumerRssQuartersMiB: number[];
  reconciliation: Reconciliation;
  files: number;
}

/**
 * One sync job of `files` snapshot files (default 1) of N records each, each of its own dataset (and
 * table), provider → consumer on PostgreSQL, timed from the sync request to the SUCCEEDED callback. The
 * consumer is a child process so its RSS is its own; it runs `workers` worker threads (its default: one per core).
 */
export async function runSyncBench(opts: {
  records: number;
  files?: number;
  workers?: number;
  pageSize?: number;
  consumerNodeArgs?: string[];
}): Promise<SyncBenchResult> {
  const providerDb = await createTestDatabase('postgres');
  const consumerDb = await createTestDatabase('postgres');
  const count = opts.files ?? 1;
  const db = await openProviderDb(providerDb.config);
  const files: BenchFile[] = [];
  for (let i = 0; i < count; i++)
    files.push(
      await generateFile(db, undefined, {
        dataset: i ? `customers_${i}` : 'customers',
        fileId: i ? `bench-${i}` : 'bench',
        records: opts.records,
        mode: 'snapshot',
      }),
    );
  await db.close();

  const scheduler = await startFakeScheduler();
  const provider = await startBenchProvider(providerDb.config.url);
  const consumer = await spawnBenchConsumer(
    consumerDb.config.url,
    provider.url,
    {
      FERRY_CONSUMER_INSTANCE_ID: 'bench',
      ...(opts.workers ? { FERRY_CONSUMER_WORKERS: String(opts.workers) } : {}),
      ...(opts.pageSize ? { FERRY_CONSUMER_PAGE_SIZE: String(opts.pageSize) } : {}),
    },
    opts.consumerNodeArgs,
  );
  const rss = new RssSampler(consumer.pid).start();
  try {
    const { seconds, callback } = await timeSyncJob(consumer.url, scheduler, 'bench', files);
    rss.stop();
    const reconciliation = callback.reconciliation!;
    const records = opts.records * count;
    if (reconciliation.inserted !== records)
      throw new Error(`inserted ${reconciliation.inserted}, expected ${records}`);
    const consumerPeakRssMiB = consumer.peakRss() / 2 ** 20;
    await consumer.kill('SIGTERM');
    // One connection's COPY of one file's rows: the ceiling of one file, the yardstick of eight.
    const table = demoDatasetSpec('customers').mapping.table;
    const rawCopyPerSecond = await rawCopyRate(consumerDb.config.url, table, opts.records);
    const recordsPerSecond = records / seconds;
    const at = (q: number) => rss.samples[Math.min(rss.samples.length - 1, Math.round(q * (rss.samples.length - 1)))];
    return {
      records,
      files: count,
      seconds,
      recordsPerSecond,
      rawCopyPerSecond,
      ratio: recordsPerSecond / rawCopyPerSecond,
      consumerPeakRssMiB,
      consumerRssQuartersMiB: [0.25, 0.5, 0.75, 1].map((q) => at(q).mib),
      reconciliation,
    };
  } finally {
    rss.stop();
    await consumer.kill('SIGKILL');
    await provider.close();
    await scheduler.close();
    await providerDb.drop();
    await consumerDb.drop();
  }
}

/** The same rows, mapped as the consumer maps them, COPYed into an empty copy of the target table. */
async function rawCopyRate(url: string, table: string, n: number): Promise<number> {
  const mapping = compileMapping(demoDatasetSpec('customers'));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE bench_raw (LIKE "${table}" INCLUDING ALL)`);
    const cols = mapping.columns.map((c) => `"${c.name}"`).join(', ');
    const started = performance.now();
    const copy = CopyIn.open(client, `COPY bench_raw (${cols}) FROM STDIN`);
    for (let i = 1; i <= n; i += 10_000) {
      let chunk = '';
      for (let j = i; j < Math.min(n + 1, i + 10_000); j++)
        chunk += copyLine((mapping.map(demoRecord(j)) as { row: unknown[] }).row);
      await copy.write(chunk);
    }
    await copy.end();
    return n / ((performance.now() - started) / 1000);
  } finally {
    await client.end();
  }
}

export function printSyncResult(r: SyncBenchResult): void {
  const f = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
  const what = r.files === 1 ? 'one snapshot file' : `${r.files} snapshot files in one job`;
  console.log(`\nSync (provider → consumer, ${what}), PostgreSQL`);
  console.table({
    records: f(r.records),
    'wall time (s)': r.seconds.toFixed(2),
    'records/s end to end': f(r.recordsPerSecond),
    'raw COPY rows/s (one file, one connection)': f(r.rawCopyPerSecond),
    'ratio to raw COPY': r.ratio.toFixed(2),
    'consumer peak RSS (MiB)': f(r.consumerPeakRssMiB),
    'consumer RSS at ¼, ½, ¾, end (MiB)': r.consumerRssQuartersMiB.map(f).join(', '),
  });
}

// `node dist/bench/sync.js` runs it alone; FERRY_BENCH_RECORDS sets N (default 1,000,000).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const records = Number(process.env.FERRY_BENCH_RECORDS ?? 1_000_000);
  const pageSize = process.env.FERRY_BENCH_PAGE_SIZE ? Number(process.env.FERRY_BENCH_PAGE_SIZE) : undefined;
  const prof = process.env.FERRY_BENCH_CPU_PROF_DIR;
  printSyncResult(
    await runSyncBench({
      records,
      pageSize,
      consumerNodeArgs: prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : undefined,
    }),
  );
  process.exit(0);
}

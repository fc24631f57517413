import 'reflect-metadata';
import pg from 'pg';
import { createTestDatabase, uniquePrefix } from '#ferry/testing';
import { RssSampler, rssMiB } from './proc.js';
import { BenchApi, type BenchDownstream, startBenchDownstream, startSchedulerProcess } from './scheduler-fixture.js';

export interface MemoryResult {
  live: number;
  filesPerTrigger: number;
  peakMiB: number;
  /** Once `live` tasks were dispatched and none had finished. */
  atLiveMiB: number;
  /** After each full turnover: `live` tasks finished and as many new ones dispatched. */
  afterTurnoverMiB: number[];
  /** Tasks live (not finished) in the database at the end. */
  liveAtEnd: number;
  /** From SIGTERM to the scheduler's exit, holding `liveAtEnd` live tasks. */
  stopSeconds: number;
  seconds: number;
}

/** The bar of issue 16: a scheduler holding 100,000 live tasks stays within this and does not grow. */
export const SCHEDULER_RSS_BAR_MIB = 400;

/**
 * A scheduler process (its RSS is its own, sampled every second) holding `live` tasks: the fake
 * downstream accepts each sync request and calls back only when the bench releases the oldest. Then
 * `turnovers` times over, a tenth of them is released and as many new ones posted until `live` have
 * been replaced, so the scheduler holds about `live` throughout.
 */
export async function runMemoryBench(opts: {
  live: number;
  turnovers: number;
  filesPerTrigger: number;
}): Promise<MemoryResult> {
  const step = Math.ceil(opts.live / 10);
  const db = await createTestDatabase('postgres');
  const downstream = await startBenchDownstream({ hold: true });
  const scheduler = await startSchedulerProcess(db.config.url, uniquePrefix('bench-memory'), {
    workers: true,
    env: { FERRY_SCHEDULER_DB_POOL: '20' },
  });
  const api = new BenchApi(scheduler.url);
  const rss = new RssSampler(scheduler.pid).start();
  const client = new pg.Client({ connectionString: db.config.url });
  await client.connect();
  const started = performance.now();
  try {
    // Tasks stay live for minutes here: polls and timeouts as in the lifecycle, nothing timing out.
    await api.define(downstream.url, { pollIntervalSeconds: 300, attemptTimeoutSeconds: 3600 });
    let posted = 0;
    let released = 0;
    const post = async (n: number) => {
      await api.triggers(`m${posted}`, n, opts.filesPerTrigger);
      posted += n;
      await dispatched(downstream, posted);
    };
    await post(opts.live);
    const atLiveMiB = rssMiB(scheduler.pid);
    const afterTurnoverMiB: number[] = [];
    for (let t = 0; t < opts.turnovers; t++) {
      for (let replaced = 0; replaced < opts.live; replaced += step) {
        await downstream.release(step);
        released += step;
        // The released tasks finish before their replacements are posted: the scheduler holds `live`, not more.
        await finished(client, released);
        await post(step);
      }
      afterTurnoverMiB.push(rssMiB(scheduler.pid));
    }
    rss.stop();
    const { rows } = await client.query(
      `SELECT count(*) AS n FROM task_run WHERE status NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED')`,
    );
    // SIGTERM with every one of them live: how long the scheduler takes to stop.
    const stopping = performance.now();
    await scheduler.stop();
    const stopSeconds = (performance.now() - stopping) / 1000;
    return {
      live: opts.live,
      filesPerTrigger: opts.filesPerTrigger,
      peakMiB: rss.peakMiB,
      atLiveMiB,
      afterTurnoverMiB,
      liveAtEnd: Number(rows[0].n),
      stopSeconds,
      seconds: (stopping - started) / 1000,
    };
  } finally {
    rss.stop();
    await client.end();
    await api.close();
    await scheduler.stop();
    await downstream.close();
    await db.drop();
  }
}

/** Waits until `read` reaches `n`; gives up after 2 minutes without progress. */
async function reach(what: string, n: number, read: () => Promise<number>): Promise<void> {
  let last = -1;
  let since = Date.now();
  for (;;) {
    const now = await read();
    if (now >= n) return;
    if (now !== last) [last, since] = [now, Date.now()];
    if (Date.now() - since > 120_000) throw new Error(`the memory benchmark stalled at ${now} of ${n} ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until the downstream has been sent `n` sync requests. */
const dispatched = (downstream: BenchDownstream, n: number) =>
  reach('dispatched', n, async () => (await downstream.counts()).starts);

/** Waits until `n` tasks have succeeded (the groups' counters). */
const finished = (client: pg.Client, n: number) =>
  reach('finished', n, async () => {
    const { rows } = await client.query(`SELECT coalesce(sum(tasks_succeeded), 0)::int AS n FROM group_run`);
    return Number(rows[0].n);
  });

export function printMemoryResult(r: MemoryResult): void {
  const f = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
  console.log(
    `\nScheduler memory: ${f(r.live)} live tasks (${r.filesPerTrigger} files per trigger), then ` +
      `${r.afterTurnoverMiB.length} full turnover(s); scheduler process RSS sampled every second`,
  );
  const growth = r.afterTurnoverMiB.length > 1 ? r.afterTurnoverMiB.at(-1)! - r.afterTurnoverMiB[0] : NaN;
  console.table({
    'peak RSS (MiB)': f(r.peakMiB),
    [`RSS at ${f(r.live)} live (MiB)`]: f(r.atLiveMiB),
    ...Object.fromEntries(r.afterTurnoverMiB.map((m, i) => [`RSS after turnover ${i + 1} (MiB)`, f(m)])),
    'growth from the first turnover to the last (MiB)': Number.isNaN(growth) ? 'n/a' : f(growth),
    'live tasks at the end': f(r.liveAtEnd),
    'SIGTERM to exit, holding them (s)': r.stopSeconds.toFixed(1),
    'wall time (s)': r.seconds.toFixed(0),
  });
  console.log(
    `Bar: peak ≤ ${SCHEDULER_RSS_BAR_MIB} MiB (${r.peakMiB <= SCHEDULER_RSS_BAR_MIB ? 'met' : 'MISSED'}), ` +
      'not growing from one turnover to the next',
  );
}

import 'reflect-metadata';
import pg from 'pg';
import { createTestDatabase, uniquePrefix } from '#ferry/testing';
import { cpuByKind, cpuPerTask, formatCpu, peakRssMiB, percentile, resetPeakRss } from './proc.js';
import { historyLabel, seedHistory } from './history.js';
import { BenchApi, startBenchDownstream, startSchedulerProcess } from './scheduler-fixture.js';

export interface RateSlice {
  /** Seconds from the first post to the slice's end. */
  end: number;
  completed: number;
  /** Tasks created and not finished at the slice's end: the backlog. */
  live: number;
  /** The answer time of the posts scheduled in the slice, p99 (ms). */
  postP99Ms: number;
}

export interface RateResult {
  rate: number;
  seconds: number;
  warmSeconds: number;
  /** Task rows of history in the database before the window (0: a new database). */
  history: number;
  /** Scheduler processes taking the triggers in turn. */
  instances: number;
  posted: number;
  failedPosts: number;
  /** From each post's scheduled time (open loop: a late answer is not hidden by a late send). */
  postP50Ms: number;
  postP99Ms: number;
  /** From the trigger's receipt to its sync request reaching the downstream. */
  dispatchP50Ms: number;
  dispatchP99Ms: number;
  /** Tasks finished per second while the posts went on, and after them until the last one finished (NaN: no drain). */
  windowTasksPerSecond: number;
  afterTasksPerSecond: number;
  /** From the last scheduled post to the last task's end. */
  drainSeconds: number;
  slices: RateSlice[];
  cpuMsPerTask: Record<string, number>;
  schedulerPeakRssMiB: number;
}

const SLICE_S = 10;

/**
 * Triggers of one file each posted at a fixed rate for `seconds`, open loop (each on its schedule, not
 * after the previous answer), to a scheduler in its own process on PostgreSQL, against the fake
 * downstream that calls back at once; then waits until every task is SUCCEEDED.
 */
export async function runRateBench(opts: {
  rate: number;
  seconds: number;
  connections?: number;
  /** Seconds of posts at the rate before the window, not measured (default 5). */
  warmSeconds?: number;
  /** Task rows of earlier runs in the database, analyzed, before the warm-up (seedHistory); 0: a new database. */
  history?: number;
  /** Scheduler processes, the triggers spread over them in turn as a load balancer would (default 1). */
  instances?: number;
}): Promise<RateResult> {
  const db = await createTestDatabase('postgres');
  const downstream = await startBenchDownstream();
  const prefix = uniquePrefix('bench-rate');
  const start = () =>
    startSchedulerProcess(db.config.url, prefix, { workers: true, env: { FERRY_SCHEDULER_DB_POOL: '20' } });
  const instances = Math.max(1, opts.instances ?? 1);
  const startAll = () => Promise.all(Array.from({ length: instances }, start));
  // Enough connections for a second of posts in flight: a post waiting for a connection is a late post.
  const connect = (url: string) =>
    new BenchApi(url, opts.connections ?? Math.max(64, Math.ceil(opts.rate / instances)));
  let schedulers = await startAll();
  let apis = schedulers.map((s) => connect(s.url));
  const client = new pg.Client({ connectionString: db.config.url });
  await client.connect();
  const succeeded = async () =>
    Number((await client.query(`SELECT count(*) AS n FROM task_run WHERE status = 'SUCCEEDED'`)).rows[0].n);
  const stopAll = async () => {
    await Promise.all(apis.map((a) => a.close()));
    await Promise.all(schedulers.map((s) => s.stop()));
  };
  try {
    await apis[0].define(downstream.url);
    const history = opts.history ?? 0;
    if (history > 0) {
      // A history, then schedulers started on the database as it now is (see seedHistory).
      await seedHistory(client, history, () => apis[0].triggers('seed', 1000, 1, 64));
      await stopAll();
      schedulers = await startAll();
      apis = schedulers.map((s) => connect(s.url));
    }
    const before = await succeeded();
    // Warm-up at the rate itself, finished before the window: connections (the bench's to the scheduler, the
    // scheduler's to PostgreSQL, each opened on first need), JIT and statements prepared per connection. Without it
    // the window's first seconds (posts answered in 50-500 ms while those are made) set its p99.
    const warmSeconds = opts.warmSeconds ?? 5;
    const warm = await postAtRate(apis, opts.rate, Math.round(opts.rate * warmSeconds), 'warm');
    await waitFor(async () => (await succeeded()) >= before + warm.posted, 'the warm-up tasks');

    const processes: Record<number, string> = {
      [process.pid]: 'bench (posting)',
      [downstream.pid]: 'fake downstream',
    };
    for (const s of schedulers) processes[s.pid] = 'scheduler';
    for (const s of schedulers) await resetPeakRss(s.pid);
    const cpuBefore = await cpuByKind(processes);
    const total = Math.round(opts.rate * opts.seconds);
    const epoch = Date.now();
    const { posted, failedPosts, sent } = await postAtRate(apis, opts.rate, total, 'rate');
    const latencies = sent.map((p) => p.ms).sort((a, b) => a - b);
    await waitFor(async () => (await succeeded()) >= before + warm.posted + posted, 'every posted task to succeed');
    const cpuMsPerTask = cpuPerTask(cpuBefore, await cpuByKind(processes), posted);
    const schedulerPeakRssMiB = Math.max(...schedulers.map((s) => peakRssMiB(s.pid)));

    // Trigger→dispatch: from the trigger's receipt to its task's sync request reaching the downstream.
    const received = await downstream.received();
    const { rows } = await client.query(
      `SELECT t.id, t.created_at::float8 AS created, t.finished_at::float8 AS finished,
              m.received_at::float8 AS received
         FROM task_run t JOIN group_run g ON g.id = t.group_run_id JOIN trigger_message m ON m.id = g.trigger_id
        WHERE m.message_id LIKE 'rate-%'`,
    );
    const windowEnd = epoch + opts.seconds * 1000;
    const lastEnd = Math.max(...rows.map((r) => r.finished));
    const slices: RateSlice[] = [];
    for (let end = epoch + SLICE_S * 1000; end - SLICE_S * 1000 < lastEnd; end += SLICE_S * 1000)
      slices.push({
        end: (end - epoch) / 1000,
        completed: rows.filter((r) => r.finished > end - SLICE_S * 1000 && r.finished <= end).length,
        live: rows.filter((r) => r.created <= end && r.finished > end).length,
        postP99Ms: percentile(
          sent
            .filter((p) => p.at > end - epoch - SLICE_S * 1000 && p.at <= end - epoch)
            .map((p) => p.ms)
            .sort((a, b) => a - b),
          0.99,
        ),
      });
    const inWindow = rows.filter((r) => r.finished <= windowEnd).length;
    const drainSeconds = Math.max(0, (lastEnd - windowEnd) / 1000);
    const sortedDispatch = rows.map((r) => received.get(r.id)! - r.received).sort((a, b) => a - b);
    return {
      rate: opts.rate,
      seconds: opts.seconds,
      warmSeconds,
      history,
      instances,
      posted,
      failedPosts,
      postP50Ms: percentile(latencies, 0.5),
      postP99Ms: percentile(latencies, 0.99),
      dispatchP50Ms: percentile(sortedDispatch, 0.5),
      dispatchP99Ms: percentile(sortedDispatch, 0.99),
      windowTasksPerSecond: inWindow / opts.seconds,
      // Under a second of drain is too short to give a rate.
      afterTasksPerSecond: drainSeconds >= 1 ? (rows.length - inWindow) / drainSeconds : NaN,
      drainSeconds,
      slices,
      cpuMsPerTask,
      schedulerPeakRssMiB,
    };
  } finally {
    await client.end();
    await stopAll();
    await downstream.close();
    await db.drop();
  }
}

/**
 * `total` triggers of one file (message ids `prefix-i`) posted open loop at `rate` a second: each on its schedule,
 * not after the previous answer. Answers, for each post that succeeded, when it was due (ms after the first) and its
 * answer time from then (a late answer is not hidden by a late send).
 */
async function postAtRate(
  apis: BenchApi[],
  rate: number,
  total: number,
  prefix: string,
): Promise<{ posted: number; failedPosts: number; sent: Array<{ at: number; ms: number }> }> {
  const sent: Array<{ at: number; ms: number }> = [];
  let failedPosts = 0;
  const t0 = performance.now();
  const due = (i: number) => t0 + (i * 1000) / rate;
  const posts: Promise<void>[] = [];
  for (let i = 0; i < total;) {
    for (const now = performance.now(); i < total && due(i) <= now; i++) {
      const scheduled = due(i);
      posts.push(
        apis[i % apis.length].trigger(`${prefix}-${i}`, 1).then(
          () => void sent.push({ at: scheduled - t0, ms: performance.now() - scheduled }),
          () => void failedPosts++,
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(posts);
  return { posted: total - failedPosts, failedPosts, sent };
}

/** Polls `done` once a second; gives up after 5 minutes without it. */
async function waitFor(done: () => Promise<boolean>, what: string): Promise<void> {
  for (const until = Date.now() + 5 * 60_000; !(await done());) {
    if (Date.now() > until) throw new Error(`the rate benchmark gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export function printRateResult(r: RateResult): void {
  const f = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
  console.log(
    `\nSteady rate: ${f(r.rate)} triggers/s of 1 file for ${r.seconds} s (open loop, after ${r.warmSeconds} s of ` +
      `the same not measured), ${r.instances > 1 ? `${r.instances} scheduler processes taking the triggers in turn` : 'scheduler process'} on ${historyLabel(r.history)} ` +
      '+ Redis, fake downstream calling back at once',
  );
  console.table({
    'triggers posted': f(r.posted),
    'posts failed': f(r.failedPosts),
    'POST answer p50 (ms)': f(r.postP50Ms),
    'POST answer p99 (ms)': f(r.postP99Ms),
    'trigger→dispatch p50 (ms)': f(r.dispatchP50Ms),
    'trigger→dispatch p99 (ms)': f(r.dispatchP99Ms),
    'tasks/s completed during the posts': f(r.windowTasksPerSecond),
    'tasks/s completed after them': Number.isNaN(r.afterTasksPerSecond) ? '-' : f(r.afterTasksPerSecond),
    'drain after the posts (s)': r.drainSeconds.toFixed(1),
    [r.instances > 1 ? 'scheduler peak RSS (MiB, the largest)' : 'scheduler peak RSS (MiB)']: f(r.schedulerPeakRssMiB),
  });
  const last = r.slices.findLast((s) => s.end <= r.seconds);
  const first = r.slices[0];
  // Growing: the backlog at the window's end holds more than a second of posts beyond the first slice's.
  const grew = !!first && !!last && last.live > first.live + r.rate;
  console.log(
    `Backlog ${grew ? 'GREW' : 'did not grow'}; live tasks at each ${SLICE_S} s: ` +
      r.slices
        .map(
          (s) =>
            `${s.end}s ${f(s.live)} (${f(s.completed)} done${s.postP99Ms ? `, POST p99 ${f(s.postP99Ms)} ms` : ''})`,
        )
        .join(', '),
  );
  console.log(`CPU ms per task: ${formatCpu(r.cpuMsPerTask)}`);
}

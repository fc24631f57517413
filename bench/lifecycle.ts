import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import pg from 'pg';
import { pino } from 'pino';
import { Db } from '#ferry/persistence';
import { createTestDatabase, DEV_MODE_ENV, uniquePrefix } from '#ferry/testing';
import { BENCH_REDIS_ENV, benchRedisConnection } from './bench-redis.js';
import { pgPool, planGuard, schedulerConfigFromEnv, startScheduler } from '../apps/scheduler/src/index.js';
import { cpuByKind, cpuPerTask, peakRssMiB, percentile, resetPeakRss } from './proc.js';
import { seedHistory } from './history.js';
import { rawBullmqRate } from './raw-bullmq.js';
import { BenchApi, startBenchDownstream, startSchedulerProcess } from './scheduler-fixture.js';

export interface LifecycleResult {
  tasks: number;
  seconds: number;
  tasksPerSecond: number;
  rawBullmqPerSecond: number;
  ratio: number;
  dispatchLatencyP50Ms: number;
  dispatchLatencyP99Ms: number;
  /** CPU milliseconds per task by process kind over the measured window (Linux /proc): steadier than tasks/s. */
  cpuMsPerTask: Record<string, number>;
  /** Peak RSS of this process (the scheduler, with the bench's small share) over the measured window. */
  schedulerPeakRssMiB: number;
  /** Triggers posted at once (FERRY_BENCH_POSTERS). */
  posters: number;
  /** Task rows of history in the database before the window (0: a new database). */
  history: number;
}

/**
 * N tasks through trigger → dispatch → callback → SUCCEEDED on PostgreSQL, against a fake
 * downstream (its own process) that calls back at once; then raw BullMQ for the same N as the ceiling.
 */
/**
 * `observability`: metrics on and info-level JSON logs (a line
 * per request and per task move) to a file; off: both off.
 */
export async function runLifecycleBench(opts: {
  tasks: number;
  filesPerTrigger?: number;
  observability?: boolean;
  instances?: number;
  /** Task rows of earlier runs in the database, analyzed, before the window (seedHistory); 0: a new database. */
  history?: number;
}): Promise<LifecycleResult> {
  const filesPerTrigger = opts.filesPerTrigger ?? 100;
  // Upstreams posting at once, each waiting for its answer before the next post. Four keep big triggers coming
  // faster than they run; small ones would leave the run bounded by four answers' latency, not by the scheduler's
  // capacity (at 1 file per trigger here: 380 tasks/s with 4, 570-680 with 64, the CPU then the bound).
  const posters = Number(process.env.FERRY_BENCH_POSTERS ?? (filesPerTrigger >= 16 ? 4 : 64));
  const db = await createTestDatabase('postgres', 20);
  // FERRY_BENCH_DOWNSTREAM_PROFILE=dir: a CPU profile of the fake downstream, written to dir when it exits.
  const profileDir = process.env.FERRY_BENCH_DOWNSTREAM_PROFILE;
  const execArgv = profileDir ? [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${profileDir}`] : process.execArgv;
  const downstream = await startBenchDownstream({ execArgv });
  const config = schedulerConfigFromEnv({
    ...DEV_MODE_ENV,
    FERRY_SCHEDULER_PORT: '0',
    FERRY_SCHEDULER_HOST: '127.0.0.1',
    ...BENCH_REDIS_ENV,
    FERRY_QUEUE_PREFIX: uniquePrefix('bench'),
    FERRY_SCHEDULER_CONCURRENCY: process.env.FERRY_SCHEDULER_CONCURRENCY ?? '256',
    FERRY_SCHEDULER_DB_LANES: process.env.FERRY_SCHEDULER_DB_LANES ?? '2',
    FERRY_RATE_LIMIT_PER_SECOND: '1000000',
    FERRY_ACCEPT_LINGER_MS: process.env.FERRY_ACCEPT_LINGER_MS,
    FERRY_METRICS_ENABLED: String(!!opts.observability),
    FERRY_LOG_LEVEL: opts.observability ? 'info' : 'silent',
  });
  config.db = db.config;
  config.logLevels = opts.observability ? ['log', 'error', 'warn', 'fatal'] : ['error', 'fatal'];
  const logDestination = opts.observability
    ? pino.destination({
        dest: process.env.FERRY_BENCH_LOG_FILE ?? '/tmp/ferry-bench.log',
        sync: false,
        minLength: 4096,
      })
    : undefined;
  const scheduler = await startScheduler(config, { observability: { logDestination } });
  // FERRY_BENCH_API_PROCESS=1: a second, API-only scheduler process takes the callbacks.
  // opts.instances = 2: a second full scheduler process (one per core, as deployed): the group jobs
  // spread over both, and each takes the callbacks of the tasks it dispatched (its own callback URL).
  const apiProcess =
    process.env.FERRY_BENCH_API_PROCESS === '1'
      ? await startSchedulerProcess(db.config.url, config.redis.prefix, { workers: false })
      : undefined;
  if (apiProcess) config.publicUrl = apiProcess.url;
  const second =
    (opts.instances ?? 1) > 1
      ? await startSchedulerProcess(db.config.url, config.redis.prefix, { workers: true })
      : undefined;
  const api = new BenchApi(scheduler.url);
  await api.define(downstream.url);

  const client = new pg.Client({ connectionString: db.config.url });
  await client.connect();
  if (opts.history) {
    // A history (seedHistory); the scheduler's PlanGuard then reads the statistics at once, not at its next check.
    await seedHistory(client, opts.history, () => api.triggers('seed', 1000, filesPerTrigger, posters));
    await planGuard(pgPool(scheduler.app.get(Db).dataSource)).check();
  }
  const profile = await startProfile();
  const statements = countStatements(client);
  const processes = { [process.pid]: 'scheduler', [downstream.pid]: 'fake downstream' };
  await resetPeakRss();
  const cpuBefore = await cpuByKind(processes);
  const started = performance.now();
  const epoch = Date.now();
  await api.triggers('bench', opts.tasks, filesPerTrigger, posters);
  let lastTrace = 0;
  for (;;) {
    // The counters of the window's groups (by ix_group_created; not the history's) rather than a count over every
    // task row, 40 times a second: the run ends once the groups show every task SUCCEEDED, which is also what an
    // operator would see.
    const { rows } = await client.query(
      `SELECT coalesce(sum(tasks_succeeded), 0)::int AS n FROM group_run WHERE created_at >= $1`,
      [epoch],
    );
    if (rows[0].n >= opts.tasks) break;
    // FERRY_BENCH_TRACE=1: the tasks by status once a second (where the pipeline backs up).
    if (process.env.FERRY_BENCH_TRACE === '1' && performance.now() - lastTrace > 1000) {
      lastTrace = performance.now();
      const { rows: by } = await client.query(
        `SELECT status, count(*)::int AS n FROM task_run GROUP BY status ORDER BY status`,
      );
      console.log(`${((lastTrace - started) / 1000).toFixed(1)}s ${by.map((r) => `${r.status}=${r.n}`).join(' ')}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuMsPerTask = cpuPerTask(cpuBefore, await cpuByKind(processes), opts.tasks);
  const schedulerPeakRssMiB = peakRssMiB();
  await profile?.();
  statements?.(opts.tasks);
  // Trigger→dispatch: from the task's creation (its trigger's) to its sync request reaching the downstream.
  const received = await downstream.received();
  const { rows: created } = await client.query(
    `SELECT id, created_at::float8 AS created FROM task_run WHERE created_at >= $1`,
    [epoch],
  );
  const lat = created.map((r) => received.get(r.id)! - r.created).sort((a, b) => a - b);
  await client.end();
  await api.close();
  await scheduler.close();
  await apiProcess?.stop();
  await second?.stop();
  await downstream.close();
  await db.drop();
  const raw = await rawBullmqRate(benchRedisConnection(), opts.tasks);
  const rate = opts.tasks / seconds;
  return {
    tasks: opts.tasks,
    seconds,
    tasksPerSecond: rate,
    rawBullmqPerSecond: raw,
    ratio: rate / raw,
    dispatchLatencyP50Ms: percentile(lat, 0.5),
    dispatchLatencyP99Ms: percentile(lat, 0.99),
    cpuMsPerTask,
    schedulerPeakRssMiB,
    posters,
    history: opts.history ?? 0,
  };
}

/** FERRY_BENCH_PROFILE=file.cpuprofile: a CPU profile of this process (the scheduler) over the measured window only. */
async function startProfile(): Promise<(() => Promise<void>) | undefined> {
  const file = process.env.FERRY_BENCH_PROFILE;
  if (!file) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
    console.log(`CPU profile of the measured window: ${file}`);
  };
}

/**
 * FERRY_BENCH_COUNT_STATEMENTS=1: the statements the scheduler (this process, less the bench's own client) sent to
 * PostgreSQL over the measured window, per task, by prepared name or the start of their text: what a lever that
 * saves round trips saves.
 */
function countStatements(bench: pg.Client): ((tasks: number) => void) | undefined {
  if (process.env.FERRY_BENCH_COUNT_STATEMENTS !== '1') return undefined;
  const counts = new Map<string, number>();
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    if (this === bench) return original.apply(this, args); // the bench's own progress reads
    const q = args[0] as string | { text?: string; name?: string };
    const key = (typeof q === 'string' ? q : (q.name ?? q.text ?? '?')).replace(/\s+/g, ' ').slice(0, 100);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return original.apply(this, args);
  };
  return (tasks) => {
    proto.query = original;
    const total = [...counts.values()].reduce((n, c) => n + c, 0);
    console.log(`\nStatements sent by the scheduler: ${(total / tasks).toFixed(2)} per task`);
    for (const [key, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 15))
      console.log(`${(n / tasks).toFixed(3).padStart(8)}  ${key}`);
  };
}

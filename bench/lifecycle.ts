import 'reflect-metadata';
import { fork, spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Agent, request } from 'undici';
import { createTestDatabase, DEV_MODE_ENV, devToken, uniquePrefix } from '#ferry/testing';
import { schedulerConfigFromEnv, startScheduler } from '../apps/scheduler/src/index.js';
import { BENCH_REDIS_ENV, benchRedisConnection, onRedisCluster } from './bench-redis.js';
import { rawBullmqRate } from './raw-bullmq.js';
import { pino } from 'pino';

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
}): Promise<LifecycleResult> {
  const filesPerTrigger = opts.filesPerTrigger ?? 100;
  const db = await createTestDatabase('postgres', 20);
  // FERRY_BENCH_DOWNSTREAM_PROFILE=dir: a CPU profile of the fake downstream, written to dir when it exits.
  const profileDir = process.env.FERRY_BENCH_DOWNSTREAM_PROFILE;
  const execArgv = profileDir ? [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${profileDir}`] : process.execArgv;
  const downstream = fork(fileURLToPath(new URL('./fake-downstream.process.js', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv,
  });
  const downstreamUrl = await new Promise<string>((r) =>
    downstream.once('message', (m) => r((m as { url: string }).url)),
  );
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
  const api =
    process.env.FERRY_BENCH_API_PROCESS === '1'
      ? await startSchedulerProcess(db.config.url, config.redis.prefix, { workers: false })
      : undefined;
  if (api) config.publicUrl = api.url;
  const second =
    (opts.instances ?? 1) > 1
      ? await startSchedulerProcess(db.config.url, config.redis.prefix, { workers: true })
      : undefined;
  const agent = new Agent({ connections: 16 });
  const post = async (path: string, body: unknown, token: string) => {
    const res = await request(`${scheduler.url}/api/v1${path}`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${path}: ${res.statusCode} ${text}`);
    return JSON.parse(text);
  };
  const admin = devToken('ferry-scheduler', ['admin:read', 'admin:write'], 'ferry-admin', undefined, 3600);
  const upstream = devToken('ferry-scheduler', ['triggers:write'], 'upstream-dev', undefined, 3600);
  await post(
    '/definitions',
    {
      name: 'bench',
      mode: 'ASYNC',
      bindings: [{ source: 'bench', event: 'files.ready' }],
      target: { urls: [downstreamUrl] },
      pollIntervalSeconds: 300,
      retry: { maxAttempts: 3, initialDelaySeconds: 1, factor: 2, maxDelaySeconds: 10 },
      attemptTimeoutSeconds: 600,
    },
    admin,
  );

  const client = new pg.Client({ connectionString: db.config.url });
  await client.connect();
  const profile = await startProfile();
  const cpuBefore = await cpuByKind(downstream.pid);
  const started = performance.now();
  const triggers = Math.ceil(opts.tasks / filesPerTrigger);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < triggers) {
        const t = next++;
        const count = Math.min(filesPerTrigger, opts.tasks - t * filesPerTrigger);
        const files = Array.from({ length: count }, (_, i) => ({
          name: `t${t}-f${i}`,
          dataset: 'bench',
          fileId: `t${t}-f${i}`,
          recordCount: 0,
        }));
        await post('/triggers', { messageId: `bench-${t}`, source: 'bench', event: 'files.ready', files }, upstream);
      }
    }),
  );
  let lastTrace = 0;
  for (;;) {
    // The groups' counters (100 rows) rather than a count over every task row, 40 times a second: the
    // run ends once the groups show every task SUCCEEDED, which is also what an operator would see.
    const { rows } = await client.query(`SELECT coalesce(sum(tasks_succeeded), 0)::int AS n FROM group_run`);
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
  const cpuAfter = await cpuByKind(downstream.pid);
  const cpuMsPerTask = Object.fromEntries(
    Object.entries(cpuAfter).map(([k, v]) => [k, Math.round(((v - (cpuBefore[k] ?? 0)) / opts.tasks) * 1000) / 1000]),
  );
  await profile?.();
  const { rows: lat } = await client.query(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY d) AS p99
       FROM (SELECT (dispatched_at - created_at)::float8 AS d FROM task_run) x`,
  );
  await client.end();
  await agent.close();
  await scheduler.close();
  api?.child.kill();
  second?.child.kill();
  // Disconnecting lets it exit by itself (and write its profile, if asked for).
  const exited = new Promise((r) => downstream.once('exit', r));
  downstream.disconnect();
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  downstream.kill();
  await db.drop();
  const raw = await rawBullmqRate(benchRedisConnection(), opts.tasks);
  const rate = opts.tasks / seconds;
  return {
    tasks: opts.tasks,
    seconds,
    tasksPerSecond: rate,
    rawBullmqPerSecond: raw,
    ratio: rate / raw,
    dispatchLatencyP50Ms: Number(lat[0].p50),
    dispatchLatencyP99Ms: Number(lat[0].p99),
    cpuMsPerTask,
  };
}

/**
 * CPU milliseconds used so far by kind of process: this one (the scheduler, with the bench's own small
 * share), the fake downstream, PostgreSQL (every backend) and Redis (every node of the cluster when the run
 * is on one, and only then). From /proc; empty elsewhere.
 */
async function cpuByKind(downstreamPid: number | undefined): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  const tickMs = 10; // USER_HZ is 100 on Linux
  for (const pid of pids) {
    try {
      const [stat, cmd] = await Promise.all([
        readFile(`/proc/${pid}/stat`, 'utf8'),
        readFile(`/proc/${pid}/cmdline`, 'utf8'),
      ]);
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * tickMs;
      const kind =
        Number(pid) === process.pid
          ? 'scheduler'
          : Number(pid) === downstreamPid
            ? 'fake downstream'
            : cmd.startsWith('postgres') || cmd.includes('/postgres')
              ? 'postgres'
              : cmd.startsWith('redis-server') && cmd.includes('[cluster]') === onRedisCluster
                ? 'redis'
                : cmd.includes('apps/scheduler/src/main.js')
                  ? 'scheduler (2nd process)'
                  : undefined;
      if (kind) out[kind] = (out[kind] ?? 0) + ms;
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
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
 * A scheduler as deployed (`main.js`), on the bench's database and queue prefix: API only, or with its queue workers.
 */
async function startSchedulerProcess(
  dbUrl: string,
  prefix: string,
  opts: { workers: boolean },
): Promise<{ url: string; child: ReturnType<typeof spawn> }> {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const main = fileURLToPath(new URL('../apps/scheduler/src/main.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [...process.execArgv.filter((a) => a.startsWith('--max-semi-space-size')), main],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        ...DEV_MODE_ENV,
        FERRY_SCHEDULER_PORT: String(port),
        FERRY_SCHEDULER_HOST: '127.0.0.1',
        FERRY_SCHEDULER_DB_TYPE: 'postgres',
        FERRY_SCHEDULER_DB_URL: dbUrl,
        ...BENCH_REDIS_ENV,
        FERRY_QUEUE_PREFIX: prefix,
        FERRY_SCHEDULER_WORKERS: String(opts.workers),
        FERRY_SCHEDULER_CONCURRENCY: process.env.FERRY_SCHEDULER_CONCURRENCY ?? '256',
        FERRY_RATE_LIMIT_PER_SECOND: '1000000',
        FERRY_LOG_LEVEL: 'silent',
        FERRY_SCHEDULER_DB_LANES: '2',
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const ok = await request(`${url}/health/live`).then(
      (r) => r.body.text().then(() => r.statusCode === 200),
      () => false,
    );
    if (ok) return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the API-only scheduler process did not start');
}

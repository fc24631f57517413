import pg from 'pg';
import { Agent, request } from 'undici';
import { createTestDatabase, DEV_MODE_ENV, devToken, TEST_REDIS_URL, uniquePrefix } from '#ferry/testing';
import { SchedulerTelemetry, schedulerConfigFromEnv, startScheduler } from '../apps/scheduler/src/index.js';

export interface FireAccuracyResult {
  schedules: number;
  seconds: number;
  expected: number;
  fired: number;
  skipped: number;
  /** Lag to the commit of the fire's trigger and run (the fire is stored): the bar's measure. */
  lagP50Ms: number;
  lagP90Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** Lag to the trigger's `received_at` (taken just before its insert, inside the pass's transaction). */
  receivedP50Ms: number;
  receivedP99Ms: number;
  /** The scheduler process's CPU (user + system) per fire over the window. */
  cpuMsPerFire: number;
}

/**
 * Fire accuracy: `schedules` definitions firing every second for `seconds`, on PostgreSQL; the lag of each fire
 * is the time its pass committed (told by the firer's observer, as for the fire-lag metric) less its scheduled
 * time; its trigger's `received_at` (taken just before the insert) less the scheduled time is printed beside it. The definitions are paused
 * (`enabled: false`): their runs are written, their tasks not sent, so what is measured is the fire path
 * alone (FERRY_BENCH_SCHEDULE_DISPATCH=1 sends them too, to a downstream that does not exist).
 */
export async function runFireAccuracyBench(opts: { schedules: number; seconds: number }): Promise<FireAccuracyResult> {
  const db = await createTestDatabase('postgres', 20);
  const config = schedulerConfigFromEnv({
    ...DEV_MODE_ENV,
    FERRY_SCHEDULER_PORT: '0',
    FERRY_SCHEDULER_HOST: '127.0.0.1',
    FERRY_REDIS_URL: TEST_REDIS_URL,
    FERRY_QUEUE_PREFIX: uniquePrefix('bench-fire'),
    FERRY_RATE_LIMIT_PER_SECOND: '1000000',
    FERRY_LOG_LEVEL: 'silent',
    FERRY_METRICS_ENABLED: 'false',
    FERRY_SCHEDULE_BATCH: process.env.FERRY_SCHEDULE_BATCH,
    FERRY_SCHEDULER_DB_LANES: process.env.FERRY_SCHEDULER_DB_LANES,
  });
  config.db = db.config;
  config.logLevels = ['error', 'fatal'];
  const scheduler = await startScheduler(config);
  const committed: Array<{ at: number; lag: number }> = [];
  const telemetry = scheduler.app.get(SchedulerTelemetry);
  const observe = telemetry.firesCommitted.bind(telemetry);
  telemetry.firesCommitted = (scheduledAt, committedAt) => {
    for (const at of scheduledAt) committed.push({ at, lag: committedAt - at });
    observe(scheduledAt, committedAt);
  };
  const agent = new Agent({ connections: 8 });
  const admin = devToken('ferry-scheduler', ['admin:read', 'admin:write'], 'ferry-admin', undefined, 3600);
  const dispatch = process.env.FERRY_BENCH_SCHEDULE_DISPATCH === '1';
  const define = async (i: number) => {
    const res = await request(`${scheduler.url}/api/v1/definitions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `every-second-${i}`,
        mode: 'ASYNC',
        bindings: [],
        schedule: { everySeconds: 1, misfireThresholdSeconds: 60 },
        target: { urls: ['http://127.0.0.1:9/sync'] },
        enabled: dispatch,
      }),
    });
    const text = await res.body.text();
    if (res.statusCode !== 201) throw new Error(`definition ${i}: ${res.statusCode} ${text}`);
  };
  for (let i = 0; i < opts.schedules; i += 8)
    await Promise.all(Array.from({ length: Math.min(8, opts.schedules - i) }, (_, k) => define(i + k)));

  // The window starts on a whole second, two seconds on (the first fires of a fresh start are not measured).
  const from = Math.ceil(Date.now() / 1000) * 1000 + 2000;
  const to = from + opts.seconds * 1000;
  await new Promise((r) => setTimeout(r, from - Date.now()));
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, to - Date.now() + 1500));
  const cpu = process.cpuUsage(cpu0);
  await scheduler.close();
  await agent.close();

  const client = new pg.Client({ connectionString: db.config.url });
  await client.connect();
  const { rows } = await client.query<{ status: string; lag: string }>(
    `SELECT status, received_at - (extract(epoch from (payload::json->'attributes'->>'scheduledAt')::timestamptz) * 1000) AS lag
       FROM trigger_message
      WHERE source = 'ferry.schedule'
        AND (payload::json->'attributes'->>'scheduledAt')::timestamptz >= to_timestamp($1 / 1000.0)
        AND (payload::json->'attributes'->>'scheduledAt')::timestamptz < to_timestamp($2 / 1000.0)`,
    [from, to],
  );
  await client.end();
  await db.drop();
  const received = rows
    .filter((r) => r.status === 'ACCEPTED')
    .map((r) => Number(r.lag))
    .sort((a, b) => a - b);
  const lags = committed
    .filter((c) => c.at >= from && c.at < to)
    .map((c) => c.lag)
    .sort((a, b) => a - b);
  const quantile = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
  const q = (p: number) => quantile(lags, p);
  return {
    schedules: opts.schedules,
    seconds: opts.seconds,
    expected: opts.schedules * opts.seconds,
    fired: received.length,
    skipped: rows.length - received.length,
    lagP50Ms: q(0.5),
    lagP90Ms: q(0.9),
    lagP99Ms: q(0.99),
    lagMaxMs: lags.at(-1) ?? NaN,
    receivedP50Ms: quantile(received, 0.5),
    receivedP99Ms: quantile(received, 0.99),
    cpuMsPerFire: (cpu.user + cpu.system) / 1000 / Math.max(1, lags.length),
  };
}

export function printFireAccuracy(r: FireAccuracyResult): void {
  console.log(
    `\nFire accuracy: ${r.schedules.toLocaleString('en-US')} schedules firing every second for ${r.seconds} s, ` +
      'PostgreSQL, lag = fire stored (committed) − scheduled time (the bar: p99 under 100 ms)',
  );
  console.table({
    'fires expected': r.expected,
    'fires written': r.fired,
    'skipped (misfires)': r.skipped,
    'lag p50 (ms)': r.lagP50Ms,
    'lag p90 (ms)': r.lagP90Ms,
    'lag p99 (ms)': r.lagP99Ms,
    'lag max (ms)': r.lagMaxMs,
    'received_at lag p50 (ms)': r.receivedP50Ms,
    'received_at lag p99 (ms)': r.receivedP99Ms,
    'scheduler CPU ms per fire': Number(r.cpuMsPerFire.toFixed(3)),
  });
}

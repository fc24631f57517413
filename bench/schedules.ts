import pg from 'pg';
import { Agent, request } from 'undici';
import { createTestDatabase, DEV_MODE_ENV, devToken, TEST_REDIS_URL, uniquePrefix } from '#ferry/testing';
import { schedulerConfigFromEnv, startScheduler } from '../apps/scheduler/src/index.js';

export interface FireAccuracyResult {
  schedules: number;
  seconds: number;
  expected: number;
  fired: number;
  skipped: number;
  lagP50Ms: number;
  lagP90Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** The scheduler process's CPU (user + system) per fire over the window. */
  cpuMsPerFire: number;
}

/**
 * Fire accuracy: `schedules` definitions firing every second for `seconds`, on PostgreSQL; the lag of each fire
 * is its trigger's `received_at` (when it was written) less its scheduled time. The definitions are paused
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
  });
  config.db = db.config;
  config.logLevels = ['error', 'fatal'];
  const scheduler = await startScheduler(config);
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
  const lags = rows
    .filter((r) => r.status === 'ACCEPTED')
    .map((r) => Number(r.lag))
    .sort((a, b) => a - b);
  const q = (p: number) => lags[Math.min(lags.length - 1, Math.floor(p * lags.length))] ?? NaN;
  return {
    schedules: opts.schedules,
    seconds: opts.seconds,
    expected: opts.schedules * opts.seconds,
    fired: lags.length,
    skipped: rows.length - lags.length,
    lagP50Ms: q(0.5),
    lagP90Ms: q(0.9),
    lagP99Ms: q(0.99),
    lagMaxMs: lags.at(-1) ?? NaN,
    cpuMsPerFire: (cpu.user + cpu.system) / 1000 / Math.max(1, lags.length),
  };
}

export function printFireAccuracy(r: FireAccuracyResult): void {
  console.log(
    `\nFire accuracy: ${r.schedules.toLocaleString('en-US')} schedules firing every second for ${r.seconds} s, ` +
      'PostgreSQL, lag = trigger written − scheduled time (the bar: p99 under 100 ms)',
  );
  console.table({
    'fires expected': r.expected,
    'fires written': r.fired,
    'skipped (misfires)': r.skipped,
    'lag p50 (ms)': r.lagP50Ms,
    'lag p90 (ms)': r.lagP90Ms,
    'lag p99 (ms)': r.lagP99Ms,
    'lag max (ms)': r.lagMaxMs,
    'scheduler CPU ms per fire': Number(r.cpuMsPerFire.toFixed(3)),
  });
}

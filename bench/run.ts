import { availableParallelism } from 'node:os';
import { onRedisCluster, startBenchRedis, stopBenchRedis } from './bench-redis.js';
import { httpFloor } from './http-floor.js';
import { runLifecycleBench } from './lifecycle.js';
import { printFireAccuracy, runFireAccuracyBench } from './schedules.js';
import { runSinkBenches } from './sink.js';
import { printSyncResult, runSyncBench } from './sync.js';

// `npm run bench` — not a test: prints measured rates. FERRY_BENCH_TASKS overrides N (default 10,000).
// The lifecycle runs twice, with metrics and logging off and on (FERRY_BENCH_OBSERVABILITY=off|on runs one);
// then the sync benchmark (FERRY_BENCH_RECORDS, default 1,000,000), then fire accuracy (FERRY_BENCH_SCHEDULES,
// default 1,000, every second for FERRY_BENCH_SCHEDULE_SECONDS, default 60), then the record sink at 1,000/s and
// unlimited (FERRY_BENCH_SINK_RECORDS, default 5,000). FERRY_BENCH_ONLY=lifecycle|sync|schedules|sink runs one.
// FERRY_BENCH_REDIS=cluster puts the lifecycle (FERRY_BENCH_INSTANCES processes) on the local Redis Cluster.
const only = process.env.FERRY_BENCH_ONLY;
const tasks = Number(process.env.FERRY_BENCH_TASKS ?? 10_000);
const modes =
  process.env.FERRY_BENCH_OBSERVABILITY === 'on'
    ? [true]
    : process.env.FERRY_BENCH_OBSERVABILITY === 'off'
      ? [false]
      : [false, true];
const f = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const rates: number[] = [];
const notLifecycle = only === 'sync' || only === 'schedules' || only === 'sink';
// FERRY_BENCH_REDIS=cluster: the lifecycle and its raw BullMQ run on the local Redis Cluster.
const clusterStarted = !notLifecycle && (await startBenchRedis());
for (const observability of notLifecycle ? [] : modes) {
  const r = await runLifecycleBench({
    tasks,
    observability,
    instances: Number(process.env.FERRY_BENCH_INSTANCES ?? 1),
    filesPerTrigger: Number(process.env.FERRY_BENCH_FILES_PER_TRIGGER ?? 100),
  });
  rates.push(r.tasksPerSecond);
  console.log(
    `\nTask lifecycle (trigger → dispatch → callback → SUCCEEDED), PostgreSQL + ${onRedisCluster ? 'Redis Cluster (3 masters)' : 'Redis'}, fake downstream; ` +
      `metrics + logging ${observability ? 'ON' : 'OFF'}`,
  );
  console.table({
    tasks: f(r.tasks),
    'wall time (s)': r.seconds.toFixed(2),
    'tasks/s': f(r.tasksPerSecond),
    'raw BullMQ jobs/s (ceiling)': f(r.rawBullmqPerSecond),
    'ratio to raw BullMQ': r.ratio.toFixed(2),
    'trigger→dispatch p50 (ms)': f(r.dispatchLatencyP50Ms),
    'trigger→dispatch p99 (ms)': f(r.dispatchLatencyP99Ms),
  });
  const cpu = Object.entries(r.cpuMsPerTask);
  if (cpu.length) {
    const total = cpu.reduce((n, [, v]) => n + v, 0);
    const others = cpu.filter(([k]) => !k.startsWith('scheduler')).reduce((n, [, v]) => n + v, 0);
    console.log(
      `CPU ms per task: ${cpu.map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}, total ${total.toFixed(3)}`,
    );
    // The whole pipeline shares this machine's cores: what the work costs bounds what any scheduler can reach here.
    const cores = availableParallelism();
    console.log(
      `On ${cores} cores: at most ${f((cores * 1000) / total)} tasks/s at this cost per task; ` +
        `${f((cores * 1000) / others)} tasks/s even if the scheduler cost nothing.`,
    );
  }
}
if (!notLifecycle) {
  // Where this machine stands today: its speed moves by half or double from run to run.
  const floor = await httpFloor();
  console.log(
    `\nThis machine now: HTTP keep-alive POST, 16 in flight, ${f(floor.perSecond)} req/s ` +
      `(${floor.cpuUsPerRequest.toFixed(0)} µs CPU per request, both sides); ` +
      "docs/architecture.md's quiet machine: 17,000 req/s",
  );
}
await stopBenchRedis(clusterStarted);
if (rates.length === 2)
  console.log(
    `\nObservability cost: ${(((rates[0] - rates[1]) / rates[0]) * 100).toFixed(1)}% ` +
      `(off ${f(rates[0])} tasks/s, on ${f(rates[1])} tasks/s)`,
  );
if (only === undefined || only === 'sync')
  printSyncResult(await runSyncBench({ records: Number(process.env.FERRY_BENCH_RECORDS ?? 1_000_000) }));
if (only === undefined || only === 'schedules')
  printFireAccuracy(
    await runFireAccuracyBench({
      schedules: Number(process.env.FERRY_BENCH_SCHEDULES ?? 1000),
      seconds: Number(process.env.FERRY_BENCH_SCHEDULE_SECONDS ?? 60),
    }),
  );
if (only === undefined || only === 'sink') await runSinkBenches();
process.exit(0);

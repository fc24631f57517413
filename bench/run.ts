import { availableParallelism } from 'node:os';
import { benchRedisConnection, onRedisCluster, startBenchRedis, stopBenchRedis } from './bench-redis.js';
import { httpFloor } from './http-floor.js';
import { historyLabel } from './history.js';
import { runLifecycleBench } from './lifecycle.js';
import { printMemoryResult, runMemoryBench } from './memory.js';
import { printRateResult, runRateBench } from './rate.js';
import { rawBullmqRate } from './raw-bullmq.js';
import { printFireAccuracy, runFireAccuracyBench } from './schedules.js';
import { runSinkBenches } from './sink.js';
import { printSyncResult, runSyncBench } from './sync.js';

// `npm run bench` — not a test: prints measured rates. FERRY_BENCH_ONLY names the modes to run (one, or a
// comma-separated list; `all`: every one); unset, it runs lifecycle, sync, schedules and sink.
// - lifecycle: FERRY_BENCH_TASKS tasks (default 10,000) in triggers of FERRY_BENCH_FILES_PER_TRIGGER files
//   (default 100), twice: metrics and logging off and on (FERRY_BENCH_OBSERVABILITY=off|on runs one); tasks/s,
//   CPU ms per task by process, the scheduler's peak RSS; then the machine's HTTP floor.
// - rate: triggers of one file posted open loop at each of FERRY_BENCH_RATES per second (default 250,500,1000)
//   for FERRY_BENCH_RATE_SECONDS (default 60), after FERRY_BENCH_RATE_WARM_SECONDS (default 5) of the same not
//   measured, to a scheduler process; POST and trigger→dispatch p50/p99, tasks/s
//   during and after the posts, the backlog every 10 s, CPU ms per task, the scheduler's peak RSS; then the
//   HTTP floor and raw BullMQ of the same run.
// - memory: a scheduler process holding FERRY_BENCH_MEMORY_TASKS live tasks (default 100,000; the fake downstream
//   holds its callbacks), then FERRY_BENCH_MEMORY_TURNOVERS full turnovers (default 2); its RSS every second.
// - sync: one file of FERRY_BENCH_RECORDS records (default 1,000,000) provider → consumer; the consumer's RSS.
// - fanout: one sync job of FERRY_BENCH_FANOUT_FILES files (default 8) of FERRY_BENCH_FANOUT_RECORDS records
//   (default 1,000,000) beside one such file, on FERRY_BENCH_FANOUT_WORKERS worker threads (default: the files).
// - schedules: fire accuracy of FERRY_BENCH_SCHEDULES (default 1,000) schedules firing every second for
//   FERRY_BENCH_SCHEDULE_SECONDS (default 60).
// - sink: the record sink, FERRY_BENCH_SINK_RECORDS (default 5,000) at 1,000/s and unlimited.
// FERRY_BENCH_INSTANCES: scheduler processes (lifecycle: a second full one; rate: that many, taking the triggers in
// turn as behind a load balancer). FERRY_BENCH_REDIS=cluster puts lifecycle and rate on the local Redis Cluster.
// FERRY_BENCH_HISTORY (default 100,000): task rows of earlier runs in the lifecycle's and rate's database, analyzed,
// before the measured window, as in a database in service (bench/history.ts); 0: a new database.
const env = process.env;
const history = Number(env.FERRY_BENCH_HISTORY ?? 100_000);
const named = (env.FERRY_BENCH_ONLY ?? 'lifecycle,sync,schedules,sink').split(',').map((m) => m.trim());
const runs = (mode: string) => named.includes(mode) || named.includes('all');
const f = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const printFloor = async () => {
  // Where this machine stands today: its speed moves by half or double from run to run.
  const floor = await httpFloor();
  console.log(
    `\nThis machine now: HTTP keep-alive POST, 16 in flight, ${f(floor.perSecond)} req/s ` +
      `(${floor.cpuUsPerRequest.toFixed(0)} µs CPU per request, both sides); ` +
      "docs/architecture.md's quiet machine: 17,000 req/s",
  );
};

// FERRY_BENCH_REDIS=cluster: the lifecycle and rate modes (every scheduler process) and their raw BullMQ run on the
// local Redis Cluster of three masters, started here if none runs.
const clusterStarted = (runs('lifecycle') || runs('rate')) && (await startBenchRedis());
const onRedis = onRedisCluster ? 'Redis Cluster (3 masters)' : 'Redis';
if (runs('lifecycle')) {
  const tasks = Number(env.FERRY_BENCH_TASKS ?? 10_000);
  const modes =
    env.FERRY_BENCH_OBSERVABILITY === 'on' ? [true] : env.FERRY_BENCH_OBSERVABILITY === 'off' ? [false] : [false, true];
  const rates: number[] = [];
  for (const observability of modes) {
    const r = await runLifecycleBench({
      tasks,
      observability,
      instances: Number(env.FERRY_BENCH_INSTANCES ?? 1),
      filesPerTrigger: Number(env.FERRY_BENCH_FILES_PER_TRIGGER ?? 100),
      history,
    });
    rates.push(r.tasksPerSecond);
    console.log(
      `\nTask lifecycle (trigger → dispatch → callback → SUCCEEDED), ${historyLabel(r.history)} + ${onRedis}, ` +
        'fake downstream; ' +
        `metrics + logging ${observability ? 'ON' : 'OFF'}`,
    );
    console.table({
      tasks: f(r.tasks),
      'triggers posted at once': f(r.posters),
      'wall time (s)': r.seconds.toFixed(2),
      'tasks/s': f(r.tasksPerSecond),
      'raw BullMQ jobs/s (ceiling)': f(r.rawBullmqPerSecond),
      'ratio to raw BullMQ': r.ratio.toFixed(2),
      'trigger→dispatch p50 (ms)': f(r.dispatchLatencyP50Ms),
      'trigger→dispatch p99 (ms)': f(r.dispatchLatencyP99Ms),
      'scheduler peak RSS (MiB, with the bench)': f(r.schedulerPeakRssMiB),
    });
    const cpu = Object.entries(r.cpuMsPerTask);
    if (cpu.length) {
      const total = cpu.reduce((n, [, v]) => n + v, 0);
      const others = cpu.filter(([k]) => !k.startsWith('scheduler')).reduce((n, [, v]) => n + v, 0);
      console.log(
        `CPU ms per task: ${cpu.map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}, total ${total.toFixed(3)}`,
      );
      // The whole pipeline shares this machine's cores: what the work costs bounds what any scheduler can reach.
      const cores = availableParallelism();
      console.log(
        `On ${cores} cores: at most ${f((cores * 1000) / total)} tasks/s at this cost per task; ` +
          `${f((cores * 1000) / others)} tasks/s even if the scheduler cost nothing.`,
      );
    }
  }
  await printFloor();
  if (rates.length === 2)
    console.log(
      `\nObservability cost: ${(((rates[0] - rates[1]) / rates[0]) * 100).toFixed(1)}% ` +
        `(off ${f(rates[0])} tasks/s, on ${f(rates[1])} tasks/s)`,
    );
}
if (runs('rate')) {
  const seconds = Number(env.FERRY_BENCH_RATE_SECONDS ?? 60);
  const rates = (env.FERRY_BENCH_RATES ?? '250,500,1000').split(',').map(Number);
  const warmSeconds = Number(env.FERRY_BENCH_RATE_WARM_SECONDS ?? 5);
  const instances = Number(env.FERRY_BENCH_INSTANCES ?? 1);
  for (const rate of rates) printRateResult(await runRateBench({ rate, seconds, warmSeconds, history, instances }));
  await printFloor();
  const n = Number(env.FERRY_BENCH_TASKS ?? 10_000);
  console.log(`Raw BullMQ, ${f(n)} no-op jobs: ${f(await rawBullmqRate(benchRedisConnection(), n))} jobs/s`);
}
await stopBenchRedis(clusterStarted);
if (runs('memory'))
  printMemoryResult(
    await runMemoryBench({
      live: Number(env.FERRY_BENCH_MEMORY_TASKS ?? 100_000),
      turnovers: Number(env.FERRY_BENCH_MEMORY_TURNOVERS ?? 2),
      filesPerTrigger: Number(env.FERRY_BENCH_FILES_PER_TRIGGER ?? 100),
    }),
  );
if (runs('sync')) printSyncResult(await runSyncBench({ records: Number(env.FERRY_BENCH_RECORDS ?? 1_000_000) }));
if (runs('fanout')) {
  const records = Number(env.FERRY_BENCH_FANOUT_RECORDS ?? 1_000_000);
  const files = Number(env.FERRY_BENCH_FANOUT_FILES ?? 8);
  const workers = Number(env.FERRY_BENCH_FANOUT_WORKERS ?? files);
  const one = await runSyncBench({ records, workers });
  const many = await runSyncBench({ records, files, workers });
  printSyncResult(one);
  printSyncResult(many);
  console.log(
    `\nFan-out on ${workers} worker threads: ${files} files ${f(many.recordsPerSecond)} records/s, ` +
      `one file ${f(one.recordsPerSecond)} records/s (${(many.recordsPerSecond / one.recordsPerSecond).toFixed(2)}×)`,
  );
}
if (runs('schedules'))
  printFireAccuracy(
    await runFireAccuracyBench({
      schedules: Number(env.FERRY_BENCH_SCHEDULES ?? 1000),
      seconds: Number(env.FERRY_BENCH_SCHEDULE_SECONDS ?? 60),
    }),
  );
if (runs('sink')) await runSinkBenches();
process.exit(0);

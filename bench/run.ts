import { runLifecycleBench } from './lifecycle.js';

// `npm run bench` — not a test: prints measured rates. FERRY_BENCH_TASKS overrides N (default 10,000).
const tasks = Number(process.env.FERRY_BENCH_TASKS ?? 10_000);
const r = await runLifecycleBench({ tasks });
const f = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
console.log('\nTask lifecycle (trigger → dispatch → callback → SUCCEEDED), PostgreSQL + Redis, fake downstream');
console.table({
  tasks: f(r.tasks),
  'wall time (s)': r.seconds.toFixed(2),
  'tasks/s': f(r.tasksPerSecond),
  'raw BullMQ jobs/s (ceiling)': f(r.rawBullmqPerSecond),
  'ratio to raw BullMQ': r.ratio.toFixed(2),
  'trigger→dispatch p50 (ms)': f(r.dispatchLatencyP50Ms),
  'trigger→dispatch p99 (ms)': f(r.dispatchLatencyP99Ms),
});
process.exit(0);

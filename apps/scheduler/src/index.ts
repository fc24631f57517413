export { startScheduler, type SchedulerHandle } from './start.js';
export { schedulerConfigFromEnv, type SchedulerConfig } from './scheduler.config.js';
export type { DownstreamPort } from './dispatch/downstream.client.js';
export type { RuntimeOverrides } from './core/tokens.js';
export { LogChannel } from './alerts/alert-channels.js';
export { DEFAULT_TUNING, type Tuning } from './tuning.js';
// Parts reached through `handle.app.get(…)` by tests and tools.
export { GroupRecounter } from './groups/group-recounter.js';
export { Reconciler } from './maintenance/reconciler.js';
export { TaskQueue } from './queue/task-queue.js';
export { TaskEngine } from './tasks/task-engine.js';
export { TaskRounds } from './dispatch/task-rounds.js';
export { TaskEventEntity } from './persistence/index.js';
export { SessionSweeper } from './accounts/session-sweeper.js';
export { SchedulerTelemetry } from './observability/scheduler-telemetry.js';
// The bench has PostgreSQL's statistics read again at once after it seeds its database (bench/history.ts).
export { pgPool, planGuard } from './storage/pg/plan-guard.js';

export { startScheduler, type SchedulerHandle } from './start.js';
export { schedulerConfigFromEnv, type SchedulerConfig } from './scheduler.config.js';
export type { DownstreamPort } from './dispatch/downstream.client.js';

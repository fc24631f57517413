export { startScheduler, type SchedulerHandle } from './start.js';
export { schedulerConfigFromEnv, type SchedulerConfig } from './scheduler.config.js';
export type { DownstreamPort } from './dispatch/downstream.client.js';
export type { RuntimeOverrides } from './scheduler.runtime.js';
export { LogChannel } from './alerts/alert-channels.js';

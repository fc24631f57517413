import 'reflect-metadata';
import { schedulerConfigFromEnv } from './scheduler.config.js';
import { startScheduler } from './start.js';

// SIGTERM and SIGINT stop it through Nest's shutdown hooks (enabled by createHttpApp): the current
// rounds finish or are released before exiting, so a deploy strands nothing.
await startScheduler(schedulerConfigFromEnv());

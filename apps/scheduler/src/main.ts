import 'reflect-metadata';
import { schedulerConfigFromEnv } from './scheduler.config.js';
import { startScheduler } from './start.js';

const handle = await startScheduler(schedulerConfigFromEnv());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Finish or release the current rounds before exiting, so a deploy strands nothing.
    handle.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

import type { Logger } from '@nestjs/common';
import type { Worker } from 'bullmq';

/** Starts a worker made with `autorun: false` (unless it is stopping already); a failure to run is logged. */
export function runWorker(worker: Worker, logger: Logger): void {
  if (worker.isRunning() || worker.closing) return;
  worker.run().catch((err: Error) => logger.error(`worker stopped: ${err.message}`));
}

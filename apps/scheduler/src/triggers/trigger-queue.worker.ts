import { Logger } from '@nestjs/common';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { ApiError } from '#ferry/errors';
import { isConnectionError } from '#ferry/persistence';
import type { TriggerQueuePayload } from '#ferry/queue';
import type { TriggerIntake } from './trigger-intake.service.js';

/**
 * Trigger messages from the BullMQ queue: the same treatment as HTTP. An invalid message is kept as
 * REJECTED (never dropped); while the database is away the message waits in Redis.
 */
export class TriggerQueueWorker {
  private readonly worker: Worker<TriggerQueuePayload>;
  private readonly logger = new Logger('TriggerQueue');

  constructor(intake: TriggerIntake, queueName: string, connection: Redis, prefix: string) {
    this.worker = new Worker<TriggerQueuePayload>(
      queueName,
      async (job: Job<TriggerQueuePayload>, token?: string) => {
        try {
          const r = await intake.accept(job.data, 'queue');
          return { triggerId: r.answer.triggerId, duplicate: r.duplicate };
        } catch (err) {
          if (err instanceof ApiError && !isConnectionError(err)) {
            const id = await intake.reject(job.data, err);
            this.logger.warn(`rejected trigger message ${job.id} (kept as ${id}): ${err.message}`);
            return { rejected: id };
          }
          // The database is away: keep the message in Redis and look again shortly, however long it takes.
          this.logger.warn(`trigger message ${job.id} postponed: ${(err as Error).message}`);
          await job.moveToDelayed(Date.now() + 5000, token);
          throw new DelayedError();
        }
      },
      { connection, prefix, concurrency: 8 },
    );
    this.worker.on('error', (err) => this.logger.warn(`worker error: ${err.message}`));
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}

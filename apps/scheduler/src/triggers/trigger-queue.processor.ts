import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type Type } from '@nestjs/common';
import { type ConnectionOptions, DelayedError } from 'bullmq';
import { ApiError } from '#ferry/errors';
import { isConnectionError } from '#ferry/persistence';
import type { JobOf } from '#ferry/queue';
import { runWorker } from '../queue/run-worker.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { TriggerIntake } from './trigger-intake.service.js';

/** While the database is away, a trigger message waits in Redis and is looked at again this much later. */
const DATABASE_AWAY_RETRY_MS = 5000;

/**
 * Trigger messages from the BullMQ queue: the same treatment as HTTP. An invalid message is kept as
 * REJECTED (never dropped); while the database is away the message waits in Redis.
 */
export abstract class TriggerQueueProcessor extends WorkerHost implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('TriggerQueue');

  constructor(@Inject(TriggerIntake) private readonly intake: TriggerIntake) {
    super();
  }

  // The payload is typed for producers; here it is input like any other, validated by the intake.
  async process(job: JobOf<'triggers'>, token?: string) {
    try {
      const r = await this.intake.accept(job.data as unknown, 'queue');
      return { triggerId: r.answer.triggerId, duplicate: r.duplicate };
    } catch (err) {
      if (err instanceof ApiError && !isConnectionError(err)) {
        const id = await this.intake.reject(job.data, err);
        this.logger.warn(`rejected trigger message ${job.id} (kept as ${id}): ${err.message}`);
        return { rejected: id };
      }
      // The database is away: keep the message in Redis and look again shortly, however long it takes.
      this.logger.warn(`trigger message ${job.id} postponed: ${(err as Error).message}`);
      await job.moveToDelayed(Date.now() + DATABASE_AWAY_RETRY_MS, token);
      throw new DelayedError();
    }
  }

  onApplicationBootstrap(): void {
    runWorker(this.worker, this.logger);
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker.close();
  }

  @OnWorkerEvent('error')
  onError(err: Error): void {
    this.logger.warn(`worker error: ${err.message}`);
  }
}

/** The processor on the configured queue name (FERRY_TRIGGER_QUEUE), on the workers' connection. */
export function triggerQueueProcessor(
  config: SchedulerConfig,
  connection: ConnectionOptions,
): Type<TriggerQueueProcessor> {
  @Processor(config.triggerQueue, {
    concurrency: config.tuning.triggerQueueConcurrency,
    autorun: false,
    connection,
  })
  class ConfiguredTriggerQueueProcessor extends TriggerQueueProcessor {}
  return ConfiguredTriggerQueueProcessor;
}

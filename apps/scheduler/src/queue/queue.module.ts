import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { type DynamicModule, Inject, Injectable, Logger, Module } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { QueueName, type RedisClient } from '#ferry/queue';
import { REDIS } from '../core/tokens.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { TaskQueue } from './task-queue.js';

/** The trigger queue, whatever name the configuration gives it (FERRY_TRIGGER_QUEUE). */
export const TRIGGER_QUEUE = Symbol('TRIGGER_QUEUE');

/**
 * Each queue's connection errors, logged by their message: BullMQ prints an error no one listens to
 * whole, and ioredis's errors carry the failed command's arguments.
 */
@Injectable()
class QueueErrors {
  private readonly logger = new Logger('Queues');

  constructor(@Inject(TaskQueue) tasks: TaskQueue, @Inject(TRIGGER_QUEUE) triggers: Queue) {
    for (const queue of [tasks.queue, triggers])
      queue.on('error', (err: Error) => this.logger.warn(`queue ${queue.name}: ${err.message}`));
  }
}

/**
 * BullMQ through @nestjs/bullmq: queues share the producer connection and the `{ferry}` key prefix
 * (its hash tag keeps every key of a queue in one Redis Cluster slot); processors (dispatch/, triggers/)
 * open blocking connections of their own.
 */
@Module({})
export class QueueModule {
  static forRoot(config: SchedulerConfig): DynamicModule {
    return {
      module: QueueModule,
      global: true,
      imports: [
        BullModule.forRootAsync({
          useFactory: (redis: RedisClient) => ({ connection: redis, prefix: config.redis.prefix }),
          inject: [REDIS],
        }),
        BullModule.registerQueue({ name: QueueName.tasks }, { name: config.triggerQueue }),
      ],
      providers: [TaskQueue, { provide: TRIGGER_QUEUE, useExisting: getQueueToken(config.triggerQueue) }, QueueErrors],
      exports: [TaskQueue, TRIGGER_QUEUE],
    };
  }
}

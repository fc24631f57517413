import { type DynamicModule, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { ConnectionOptions } from 'bullmq';
import { closeWorkerConnection, workerConnection } from '#ferry/queue';
import { DispatchModule } from './dispatch/dispatch.module.js';
import { taskRoundProcessor } from './dispatch/task-round.processor.js';
import type { SchedulerConfig } from './scheduler.config.js';
import { triggerQueueProcessor } from './triggers/trigger-queue.processor.js';
import { TriggersModule } from './triggers/triggers.module.js';

/**
 * The processors' connection: on a Redis Cluster a client BullMQ shares and never closes, closed here
 * once the processors have stopped (their `onModuleDestroy` comes before any application shutdown hook).
 */
class WorkerConnection implements OnApplicationShutdown {
  constructor(readonly connection: ConnectionOptions) {}

  onApplicationShutdown(): void {
    closeWorkerConnection(this.connection);
  }
}

/**
 * The queue processors (task rounds, the trigger queue), on instances that take work: an instance with
 * FERRY_SCHEDULER_WORKERS=false serves the API only and opens no worker connection.
 */
@Module({})
export class WorkersModule {
  static forRoot(config: SchedulerConfig): DynamicModule {
    const imports = [DispatchModule, TriggersModule];
    if (!config.runWorkers) return { module: WorkersModule, imports, providers: [] };
    const connection = new WorkerConnection(workerConnection(config.redis.connection));
    return {
      module: WorkersModule,
      imports,
      providers: [
        taskRoundProcessor(config, connection.connection),
        triggerQueueProcessor(config, connection.connection),
        { provide: WorkerConnection, useValue: connection },
      ],
    };
  }
}

import { type DynamicModule, Module } from '@nestjs/common';
import { DispatchModule } from './dispatch/dispatch.module.js';
import { taskRoundProcessor } from './dispatch/task-round.processor.js';
import type { SchedulerConfig } from './scheduler.config.js';
import { triggerQueueProcessor } from './triggers/trigger-queue.processor.js';
import { TriggersModule } from './triggers/triggers.module.js';

/**
 * The queue processors (task rounds, the trigger queue), on instances that take work: an instance with
 * FERRY_SCHEDULER_WORKERS=false serves the API only and opens no worker connection.
 */
@Module({})
export class WorkersModule {
  static forRoot(config: SchedulerConfig): DynamicModule {
    return {
      module: WorkersModule,
      imports: [DispatchModule, TriggersModule],
      providers: config.runWorkers ? [taskRoundProcessor(config), triggerQueueProcessor(config)] : [],
    };
  }
}

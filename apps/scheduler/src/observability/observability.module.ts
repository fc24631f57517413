import { type DynamicModule, Module } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { Db } from '#ferry/persistence';
import { TaskQueue } from '../queue/task-queue.js';
import { TRIGGER_QUEUE } from '../queue/queue.module.js';
import { CALLBACK_OBSERVER, TRIGGER_OBSERVER } from './observers.js';
import { SchedulerObservability } from './scheduler-observability.js';
import { SchedulerTelemetry } from './scheduler-telemetry.js';
import { ScrapeGauges } from './scrape-gauges.js';

/** Metrics, logs and traces: SchedulerTelemetry listens; scrape-time gauges read the database and queues. */
@Module({})
export class ObservabilityModule {
  static forRoot(observability: SchedulerObservability): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      providers: [
        // Made before the application (see SchedulerObservability), like the configuration.
        { provide: SchedulerObservability, useValue: observability },
        SchedulerTelemetry,
        { provide: TRIGGER_OBSERVER, useExisting: SchedulerTelemetry },
        {
          // Per-callback timing only when something reads it.
          provide: CALLBACK_OBSERVER,
          useFactory: (t: SchedulerTelemetry) => (observability.instrumented ? t : null),
          inject: [SchedulerTelemetry],
        },
        {
          provide: ScrapeGauges,
          useFactory: (db: Db, tasks: TaskQueue, triggers: Queue) =>
            new ScrapeGauges(observability.obs.registry, db, [tasks.queue, triggers], observability.obs.logger),
          inject: [Db, TaskQueue, TRIGGER_QUEUE],
        },
      ],
      exports: [SchedulerObservability, SchedulerTelemetry, TRIGGER_OBSERVER, CALLBACK_OBSERVER],
    };
  }
}

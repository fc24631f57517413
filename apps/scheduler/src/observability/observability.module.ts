import { Global, Module } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { Db } from '#ferry/persistence';
import { TaskQueue } from '../queue/task-queue.js';
import { TRIGGER_QUEUE } from '../queue/queue.module.js';
import { CALLBACK_OBSERVER, SCHEDULE_OBSERVER, TRIGGER_OBSERVER } from './observers.js';
import { SchedulerObservability } from './scheduler-observability.js';
import { type RuntimeOverrides, SCHEDULER_CONFIG, SCHEDULER_OVERRIDES } from '../core/tokens.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { SchedulerTelemetry } from './scheduler-telemetry.js';
import { ScrapeGauges } from './scrape-gauges.js';

/** Metrics, logs and traces: SchedulerTelemetry listens; scrape-time gauges read the database and queues. */
@Global()
@Module({
  providers: [
    {
      provide: SchedulerObservability,
      useFactory: (config: SchedulerConfig, overrides: RuntimeOverrides) =>
        SchedulerObservability.create(config, overrides.observability),
      inject: [SCHEDULER_CONFIG, SCHEDULER_OVERRIDES],
    },
    SchedulerTelemetry,
    { provide: TRIGGER_OBSERVER, useExisting: SchedulerTelemetry },
    { provide: SCHEDULE_OBSERVER, useExisting: SchedulerTelemetry },
    {
      // Per-callback timing only when something reads it.
      provide: CALLBACK_OBSERVER,
      useFactory: (o: SchedulerObservability, t: SchedulerTelemetry) => (o.instrumented ? t : null),
      inject: [SchedulerObservability, SchedulerTelemetry],
    },
    {
      provide: ScrapeGauges,
      useFactory: (o: SchedulerObservability, db: Db, tasks: TaskQueue, triggers: Queue) =>
        new ScrapeGauges(o.obs.registry, db, [tasks.queue, triggers], o.obs.logger),
      inject: [SchedulerObservability, Db, TaskQueue, TRIGGER_QUEUE],
    },
  ],
  exports: [SchedulerObservability, SchedulerTelemetry, TRIGGER_OBSERVER, SCHEDULE_OBSERVER, CALLBACK_OBSERVER],
})
export class ObservabilityModule {}

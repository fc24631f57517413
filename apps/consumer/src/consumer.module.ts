import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { commonProviders, HealthController } from '#ferry/http';
import { Db } from '#ferry/persistence';
import type { ConsumerConfig } from './config.js';
import { Callbacks } from './sync-jobs/callbacks.js';
import { DeadLettersService } from './sync-jobs/dead-letters.service.js';
import { JobRunner } from './sync-jobs/job-runner.js';
import { JobStore } from './sync-jobs/job-store.js';
import { SyncJobsController } from './sync-jobs/sync-jobs.controller.js';
import { PAGE_SIZE, SyncJobsService } from './sync-jobs/sync-jobs.service.js';

/** Resources opened before Nest starts, closed when it stops. */
export interface ConsumerRuntime {
  config: ConsumerConfig;
  db: Db;
  jobs: JobStore;
  callbacks: Callbacks;
  runner: JobRunner;
}

const RUNTIME = Symbol('CONSUMER_RUNTIME');

class ConsumerLifecycle implements OnApplicationShutdown {
  constructor(@Inject(RUNTIME) private readonly rt: ConsumerRuntime) {}

  async onApplicationShutdown(): Promise<void> {
    await this.rt.runner.stop();
    await this.rt.callbacks.pump.stop();
    await this.rt.db.close();
  }
}

@Module({})
export class ConsumerModule {
  static forRoot(rt: ConsumerRuntime): DynamicModule {
    return {
      module: ConsumerModule,
      imports: [TerminusModule],
      controllers: [HealthController, SyncJobsController],
      providers: [
        ...commonProviders({ auth: rt.config.auth, rateLimitPerSecond: rt.config.http.rateLimitPerSecond, db: rt.db }),
        { provide: RUNTIME, useValue: rt },
        { provide: Db, useValue: rt.db },
        { provide: JobStore, useValue: rt.jobs },
        { provide: Callbacks, useValue: rt.callbacks },
        { provide: JobRunner, useValue: rt.runner },
        { provide: PAGE_SIZE, useValue: rt.config.pageSize },
        SyncJobsService,
        DeadLettersService,
        ConsumerLifecycle,
      ],
    };
  }
}

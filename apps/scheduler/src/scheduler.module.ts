import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { commonProviders, HealthController } from '#ferry/http';
import { AuthProfilesController, RunsController } from './admin/runs.controller.js';
import { DefinitionsController } from './admin/definitions.controller.js';
import { CallbacksController } from './callbacks/callbacks.controller.js';
import { TriggersController } from './triggers/triggers.controller.js';
import { AlertsController } from './alerts/alerts.controller.js';
import { TargetsController } from './dispatch/targets.controller.js';
import type { SchedulerRuntime } from './scheduler.runtime.js';

/** The scheduler's HTTP surface; the services are built (and closed) by SchedulerRuntime. */
@Module({})
export class SchedulerModule {
  static forRoot(rt: SchedulerRuntime): DynamicModule {
    const services: Provider[] = rt.services().map(([token, value]) => ({ provide: token, useValue: value }));
    return {
      module: SchedulerModule,
      imports: [TerminusModule],
      controllers: [
        TriggersController,
        CallbacksController,
        DefinitionsController,
        RunsController,
        AuthProfilesController,
        AlertsController,
        TargetsController,
        HealthController,
      ],
      providers: [
        ...commonProviders({
          auth: rt.config.auth,
          rateLimitPerSecond: rt.config.http.rateLimitPerSecond,
          db: rt.db,
          redis: rt.redis,
        }),
        ...services,
      ],
    };
  }
}

import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { commonProvidersFrom, HealthController } from '#ferry/http';
import { Db } from '#ferry/persistence';
import { AccountsModule } from './accounts/accounts.module.js';
import { AdminModule } from './admin/admin.module.js';
import { AlertsModule } from './alerts/alerts.module.js';
import { AuditModule } from './audit/audit.module.js';
import { CallbacksModule } from './callbacks/callbacks.module.js';
import { CoreModule } from './core/core.module.js';
import { REDIS, type RuntimeOverrides, SCHEDULER_CONFIG } from './core/tokens.js';
import { DefinitionsModule } from './definitions/definitions.module.js';
import { DependenciesModule } from './dependencies/dependencies.module.js';
import { DispatchModule } from './dispatch/dispatch.module.js';
import { GroupsModule } from './groups/groups.module.js';
import { ListenersModule } from './listeners.module.js';
import { MaintenanceModule } from './maintenance/maintenance.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { QueueModule } from './queue/queue.module.js';
import type { SchedulerConfig } from './scheduler.config.js';
import { SchedulerLifecycle } from './scheduler-lifecycle.js';
import { SchedulesModule } from './schedules/schedules.module.js';
import { SourcesModule } from './sources/sources.module.js';
import { StorageModule } from './storage/storage.module.js';
import { TasksModule } from './tasks/tasks.module.js';
import { TriggersModule } from './triggers/triggers.module.js';
import { WorkersModule } from './workers.module.js';

/** One scheduler instance: the HTTP API, the queue processors and the background work, one module per feature. */
@Module({})
export class SchedulerModule {
  static forRoot(config: SchedulerConfig, overrides: RuntimeOverrides): DynamicModule {
    return {
      module: SchedulerModule,
      imports: [
        CoreModule.forRoot(config, overrides),
        StorageModule,
        QueueModule.forRoot(config),
        ObservabilityModule,
        ListenersModule,
        TerminusModule,
        DefinitionsModule,
        GroupsModule,
        TasksModule,
        AlertsModule,
        DispatchModule,
        TriggersModule,
        CallbacksModule,
        AdminModule,
        AuditModule,
        AccountsModule,
        MaintenanceModule,
        SchedulesModule,
        SourcesModule,
        DependenciesModule,
        WorkersModule.forRoot(config),
      ],
      controllers: [HealthController],
      providers: [
        ...commonProvidersFrom<SchedulerConfig>(
          SCHEDULER_CONFIG,
          (c) => ({ auth: c.auth, rateLimitPerSecond: c.http.rateLimitPerSecond }),
          Db,
          REDIS,
        ),
        SchedulerLifecycle,
      ],
    };
  }
}

import { Global, Module } from '@nestjs/common';
import { AlertRaiser } from './alerts/alert-raiser.js';
import { AlertsModule } from './alerts/alerts.module.js';
import { DependenciesModule } from './dependencies/dependencies.module.js';
import { DependencyResolver } from './dependencies/dependency-resolver.js';
import { DirectStart } from './dispatch/direct-start.js';
import { DispatchModule } from './dispatch/dispatch.module.js';
import { TargetPermits } from './dispatch/target-permits.js';
import { GROUP_STATUS_LISTENERS, type GroupStatusListener } from './groups/group-listeners.js';
import { GroupRecounter } from './groups/group-recounter.js';
import { GroupsModule } from './groups/groups.module.js';
import { SchedulerTelemetry } from './observability/scheduler-telemetry.js';
import { TaskQueue } from './queue/task-queue.js';
import { TASK_LIFECYCLE_LISTENERS, type TaskLifecycleListener } from './tasks/task-listeners.js';

const list = <T>(...listeners: T[]): T[] => listeners;

/**
 * Who is told of what, in one place: after each committed batch of task moves, the group recounts,
 * the queue (rounds for ready tasks, none for finished ones), alerts, target permits and telemetry,
 * in that order; after each group status change, telemetry, alerts, the dependants of a run that succeeded and
 * the direct starts (a run that ended needs no poll job).
 */
@Global()
@Module({
  imports: [GroupsModule, AlertsModule, DispatchModule, DependenciesModule],
  providers: [
    {
      provide: TASK_LIFECYCLE_LISTENERS,
      useFactory: list<TaskLifecycleListener>,
      inject: [GroupRecounter, TaskQueue, AlertRaiser, TargetPermits, SchedulerTelemetry],
    },
    {
      provide: GROUP_STATUS_LISTENERS,
      useFactory: list<GroupStatusListener>,
      inject: [SchedulerTelemetry, AlertRaiser, DependencyResolver, DirectStart],
    },
  ],
  exports: [TASK_LIFECYCLE_LISTENERS, GROUP_STATUS_LISTENERS],
})
export class ListenersModule {}

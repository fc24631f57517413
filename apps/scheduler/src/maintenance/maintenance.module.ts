import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module.js';
import { GroupsModule } from '../groups/groups.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { OverdueSweeper } from './overdue-sweeper.js';
import { Reconciler } from './reconciler.js';
import { RetentionPurger } from './retention.js';

/** Background repairs: the reconciler (missing queue jobs, unrecounted groups), the overdue sweep, the retention purge. */
@Module({
  imports: [TasksModule, GroupsModule, AlertsModule],
  providers: [Reconciler, OverdueSweeper, RetentionPurger],
  exports: [Reconciler, OverdueSweeper, RetentionPurger],
})
export class MaintenanceModule {}

import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module.js';
import { GroupsModule } from '../groups/groups.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { OverdueSweeper } from './overdue-sweeper.js';
import { Reconciler } from './reconciler.js';

/** Background repairs: the reconciler (missing queue jobs, unrecounted groups) and the overdue sweep. */
@Module({
  imports: [TasksModule, GroupsModule, AlertsModule],
  providers: [Reconciler, OverdueSweeper],
  exports: [Reconciler, OverdueSweeper],
})
export class MaintenanceModule {}

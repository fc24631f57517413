import { Module } from '@nestjs/common';
import { AdminModule } from '../admin/admin.module.js';
import { RunsService } from '../admin/runs.service.js';
import { DefinitionsModule } from '../definitions/definitions.module.js';
import { TriggersModule } from '../triggers/triggers.module.js';
import { GROUP_CANCELLER, ScheduleFirer } from './schedule-firer.js';
import { SchedulesController } from './schedules.controller.js';
import { SchedulesService } from './schedules.service.js';

/** Time triggers: the fire loop (on instances that take work) and the schedules' admin API. */
@Module({
  imports: [TriggersModule, DefinitionsModule, AdminModule],
  controllers: [SchedulesController],
  providers: [ScheduleFirer, SchedulesService, { provide: GROUP_CANCELLER, useExisting: RunsService }],
  exports: [ScheduleFirer],
})
export class SchedulesModule {}

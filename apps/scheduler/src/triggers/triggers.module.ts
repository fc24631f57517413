import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module.js';
import { DefinitionsModule } from '../definitions/definitions.module.js';
import { DispatchModule } from '../dispatch/dispatch.module.js';
import { GroupsModule } from '../groups/groups.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { SystemTriggers } from './system-triggers.js';
import { TriggerIntake } from './trigger-intake.service.js';
import { TriggerReplay } from './trigger-replay.service.js';
import { TriggersController } from './triggers.controller.js';

/** Trigger intake from HTTP and from the trigger queue (its processor: WorkersModule). */
@Module({
  imports: [TasksModule, GroupsModule, AlertsModule, DefinitionsModule, DispatchModule],
  controllers: [TriggersController],
  providers: [TriggerIntake, TriggerReplay, SystemTriggers],
  exports: [TriggerIntake, SystemTriggers],
})
export class TriggersModule {}

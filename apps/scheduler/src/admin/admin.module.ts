import { Module } from '@nestjs/common';
import { DefinitionsModule } from '../definitions/definitions.module.js';
import { DispatchModule } from '../dispatch/dispatch.module.js';
import { GroupsModule } from '../groups/groups.module.js';
import { SchedulesApiModule } from '../schedules/schedules-api.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { AuthProfilesService } from './auth-profiles.service.js';
import { DefinitionVersionsController } from './definition-versions.controller.js';
import { DefinitionsController } from './definitions.controller.js';
import { AuthProfilesController, RunsController } from './runs.controller.js';
import { RunMovesController } from './run-moves.controller.js';
import { RunMovesService } from './run-moves.service.js';
import { RunsService } from './runs.service.js';
import { TaskListsService } from './task-lists.service.js';
import { TaskRunsController } from './task-runs.controller.js';

/** The operators' API: definitions, runs and their moves (cancel, retry, manual run), auth profiles. */
@Module({
  imports: [TasksModule, GroupsModule, DefinitionsModule, DispatchModule, SchedulesApiModule],
  controllers: [
    DefinitionsController,
    RunsController,
    AuthProfilesController,
    TaskRunsController,
    RunMovesController,
    DefinitionVersionsController,
  ],
  providers: [RunsService, AuthProfilesService, TaskListsService, RunMovesService],
  exports: [RunsService],
})
export class AdminModule {}

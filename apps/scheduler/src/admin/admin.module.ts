import { Module } from '@nestjs/common';
import { DefinitionsModule } from '../definitions/definitions.module.js';
import { GroupsModule } from '../groups/groups.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { AuthProfilesService } from './auth-profiles.service.js';
import { DefinitionsController } from './definitions.controller.js';
import { AuthProfilesController, RunsController } from './runs.controller.js';
import { RunsService } from './runs.service.js';

/** The operators' API: definitions, runs and their moves (cancel, retry, manual run), auth profiles. */
@Module({
  imports: [TasksModule, GroupsModule, DefinitionsModule],
  controllers: [DefinitionsController, RunsController, AuthProfilesController],
  providers: [RunsService, AuthProfilesService],
})
export class AdminModule {}

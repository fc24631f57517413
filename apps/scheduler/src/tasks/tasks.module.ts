import { Module } from '@nestjs/common';
import { GroupsModule } from '../groups/groups.module.js';
import { TaskEngine } from './task-engine.js';

/** Task runs: the state machine's moves, applied in batches (TaskEngine). */
@Module({
  imports: [GroupsModule],
  providers: [TaskEngine],
  exports: [TaskEngine],
})
export class TasksModule {}

import { Module } from '@nestjs/common';
import { TasksModule } from '../tasks/tasks.module.js';
import { CallbacksController } from './callbacks.controller.js';
import { CallbacksService } from './callbacks.service.js';

/** Downstreams' reports on their tasks. */
@Module({
  imports: [TasksModule],
  controllers: [CallbacksController],
  providers: [CallbacksService],
})
export class CallbacksModule {}

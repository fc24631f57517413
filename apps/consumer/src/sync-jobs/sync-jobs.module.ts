import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database.module.js';
import { DatasetsModule } from '../datasets/datasets.module.js';
import { WorkerPoolModule } from '../worker-pool/worker-pool.module.js';
import { CallbackDeliveriesController } from './callback-deliveries.controller.js';
import { Callbacks } from './callbacks.js';
import { DeadLettersService } from './dead-letters.service.js';
import { JobRunner } from './job-runner.js';
import { JobStore } from './job-store.js';
import { SyncJobsController } from './sync-jobs.controller.js';
import { SyncJobsService } from './sync-jobs.service.js';

/**
 * Sync jobs: the API, the jobs' state, the runner and its reports. Nest stops a module before the
 * modules it imports, and within one, a provider before those it depends on: so the runner stops
 * first, then the callbacks' pump (the runner reports through it), then the database.
 */
@Module({
  imports: [DatabaseModule, DatasetsModule, WorkerPoolModule],
  controllers: [SyncJobsController, CallbackDeliveriesController],
  providers: [JobStore, Callbacks, JobRunner, SyncJobsService, DeadLettersService],
})
export class SyncJobsModule {}

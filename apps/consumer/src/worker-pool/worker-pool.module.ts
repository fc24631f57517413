import { Module } from '@nestjs/common';
import { WorkerPool } from './worker-pool.js';

/** The host side of the worker threads; the code they run is in ../workers. */
@Module({ providers: [WorkerPool], exports: [WorkerPool] })
export class WorkerPoolModule {}

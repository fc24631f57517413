import { Global, Module } from '@nestjs/common';
import { Db } from '#ferry/persistence';
import { SCHEDULER_CONFIG } from '../core/tokens.js';
import { GROUP_STORE } from '../groups/group-store.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { TASK_STORE } from '../tasks/task-store.js';
import { TRIGGER_WRITER } from '../triggers/trigger-writer.js';
import { adaptersFor, type StorageAdapters } from './adapters.js';

const ADAPTERS = Symbol('STORAGE_ADAPTERS');

/** The storage ports, each served by the adapter for the configured database (adaptersFor). */
@Global()
@Module({
  providers: [
    {
      provide: ADAPTERS,
      useFactory: (db: Db, config: SchedulerConfig) => adaptersFor(db, config.tuning),
      inject: [Db, SCHEDULER_CONFIG],
    },
    { provide: TASK_STORE, useFactory: (a: StorageAdapters) => a.tasks, inject: [ADAPTERS] },
    { provide: GROUP_STORE, useFactory: (a: StorageAdapters) => a.groups, inject: [ADAPTERS] },
    { provide: TRIGGER_WRITER, useFactory: (a: StorageAdapters) => a.triggers, inject: [ADAPTERS] },
  ],
  exports: [TASK_STORE, GROUP_STORE, TRIGGER_WRITER],
})
export class StorageModule {}

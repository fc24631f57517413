import { type DatabaseConfig, Db, openDataSource } from '#ferry/persistence';
import { SCHEDULER_ENTITIES } from './entities.js';
export * from './entities.js';
import { Initial1764000000000 } from './migrations/1764000000000-initial.js';
import { Alerts1765000000000 } from './migrations/1765000000000-alerts.js';
import { Bounds1768000000000 } from './migrations/1768000000000-bounds.js';

export const SCHEDULER_MIGRATIONS = [Initial1764000000000, Alerts1765000000000, Bounds1768000000000];

/** The scheduler's database, migrated (the runtime's and the tests'). */
export async function openSchedulerDb(config: DatabaseConfig): Promise<Db> {
  return new Db(
    await openDataSource(config, {
      entities: SCHEDULER_ENTITIES,
      migrations: SCHEDULER_MIGRATIONS,
      migrationsTableName: 'scheduler_migrations',
    }),
  );
}

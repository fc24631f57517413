import { type DatabaseConfig, Db, openDataSource } from '#ferry/persistence';
import type { SecretBox } from '../secrets/secret-box.js';
import { SCHEDULER_ENTITIES } from './entities.js';
export * from './entities.js';
import { Initial1764000000000 } from './migrations/1764000000000-initial.js';
import { Alerts1765000000000 } from './migrations/1765000000000-alerts.js';
import { sealSecretsMigration } from './migrations/1766100000000-seal-secrets.js';
import { Bounds1768000000000 } from './migrations/1768000000000-bounds.js';
import { TaskLists1769000000000 } from './migrations/1769000000000-task-lists.js';
import { TriggerReplay1769100000000 } from './migrations/1769100000000-trigger-replay.js';
import { AlertComments1769200000000 } from './migrations/1769200000000-alert-comments.js';
import { DefinitionVersions1769300000000 } from './migrations/1769300000000-definition-versions.js';
import { Retention1769400000000 } from './migrations/1769400000000-retention.js';
import { PortalAccounts1769500000000 } from './migrations/1769500000000-portal-accounts.js';
import { BusinessDate1769650000000 } from './migrations/1769650000000-business-date.js';
import { Schedules1770000000000 } from './migrations/1770000000000-schedules.js';
import { Dependencies1770100000000 } from './migrations/1770100000000-dependencies.js';

/** The scheduler's migrations; encrypting stored secrets needs the keys (none for a database without any). */
export function schedulerMigrations(secrets?: SecretBox) {
  return [
    Initial1764000000000,
    Alerts1765000000000,
    sealSecretsMigration(secrets),
    Bounds1768000000000,
    TaskLists1769000000000,
    TriggerReplay1769100000000,
    AlertComments1769200000000,
    DefinitionVersions1769300000000,
    Retention1769400000000,
    PortalAccounts1769500000000,
    BusinessDate1769650000000,
    Schedules1770000000000,
    Dependencies1770100000000,
  ];
}

/** The scheduler's database, migrated (the runtime's and the tests'). */
export async function openSchedulerDb(config: DatabaseConfig, secrets?: SecretBox): Promise<Db> {
  return new Db(
    await openDataSource(config, {
      entities: SCHEDULER_ENTITIES,
      migrations: schedulerMigrations(secrets),
      migrationsTableName: 'scheduler_migrations',
      // Short statements only: PostgreSQL's JIT compiles any whose estimate passes jit_above_cost, and an
      // estimate can be far off (see AlertRaiser's mismatch read); a compile costs up to a second of CPU.
      postgresSettings: { jit: 'off' },
    }),
  );
}

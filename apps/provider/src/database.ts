import { Db, type DatabaseConfig, openDataSource } from '#ferry/persistence';
import { ProviderInit1767000000001 } from './migrations/1767000000001-provider-init.js';
import { ProviderOutboxKey1768000000002 } from './migrations/1768000000002-provider-outbox-key.js';

/** Opens the provider's own database, migrated. */
export async function openProviderDb(config: DatabaseConfig): Promise<Db> {
  const ds = await openDataSource(config, {
    entities: [],
    migrations: [ProviderInit1767000000001, ProviderOutboxKey1768000000002],
    migrationsTableName: 'provider_migrations',
  });
  return new Db(ds);
}

import { Module } from '@nestjs/common';
import { type DatabaseConfig, Db, databaseProviders, openDataSource } from '#ferry/persistence';
import { CONSUMER_CONFIG, type ConsumerConfig } from './config.js';
import { ConsumerInit1767000000002 } from './migrations/1767000000002-consumer-init.js';
import { ConsumerPurged1767000000003 } from './migrations/1767000000003-consumer-purged.js';
import { ConsumerDatasetTables1767000000008 } from './migrations/1767000000008-consumer-dataset-tables.js';
import { ConsumerOutboxKey1768000000001 } from './migrations/1768000000001-consumer-outbox-key.js';

/** The consumer's migrations, in order (tests that open its database use them too). */
export const CONSUMER_MIGRATIONS = [
  ConsumerInit1767000000002,
  ConsumerPurged1767000000003,
  ConsumerDatasetTables1767000000008,
  ConsumerOutboxKey1768000000001,
];

/** Opens the consumer's own database, migrated. */
export async function openConsumerDb(config: DatabaseConfig): Promise<Db> {
  const ds = await openDataSource(config, {
    entities: [],
    migrations: CONSUMER_MIGRATIONS,
    migrationsTableName: 'consumer_migrations',
  });
  return new Db(ds);
}

/** The consumer's database, from its configuration. */
@Module({
  providers: databaseProviders(CONSUMER_CONFIG, (config: ConsumerConfig) => openConsumerDb(config.db)),
  exports: [Db],
})
export class DatabaseModule {}

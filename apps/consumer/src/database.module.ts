import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { type DatabaseConfig, Db, openDataSource } from '#ferry/persistence';
import { CONSUMER_CONFIG, type ConsumerConfig } from './config.js';
import { ConsumerInit1767000000002 } from './migrations/1767000000002-consumer-init.js';
import { ConsumerPurged1767000000003 } from './migrations/1767000000003-consumer-purged.js';

/** Opens the consumer's own database, migrated. */
export async function openConsumerDb(config: DatabaseConfig): Promise<Db> {
  const ds = await openDataSource(config, {
    entities: [],
    migrations: [ConsumerInit1767000000002, ConsumerPurged1767000000003],
    migrationsTableName: 'consumer_migrations',
  });
  return new Db(ds);
}

/**
 * Closes the database after the modules that use it have stopped: they import this module, so Nest
 * runs their shutdown hooks first (a module's hooks run before those of the modules it imports).
 */
@Injectable()
class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(Db) private readonly db: Db) {}

  onApplicationShutdown(): Promise<void> {
    return this.db.close();
  }
}

@Module({
  providers: [
    { provide: Db, useFactory: (config: ConsumerConfig) => openConsumerDb(config.db), inject: [CONSUMER_CONFIG] },
    DatabaseCloser,
  ],
  exports: [Db],
})
export class DatabaseModule {}

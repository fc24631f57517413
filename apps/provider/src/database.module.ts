import { Module } from '@nestjs/common';
import { Db, databaseProviders } from '#ferry/persistence';
import { PROVIDER_CONFIG, type ProviderConfig } from './config.js';
import { openProviderDb } from './database.js';

/** The provider's database, from its configuration. */
@Module({
  providers: databaseProviders(PROVIDER_CONFIG, (config: ProviderConfig) => openProviderDb(config.db)),
  exports: [Db],
})
export class DatabaseModule {}

import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Db } from '#ferry/persistence';
import { PROVIDER_CONFIG, type ProviderConfig } from './config.js';
import { openProviderDb } from './database.js';

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
    { provide: Db, useFactory: (config: ProviderConfig) => openProviderDb(config.db), inject: [PROVIDER_CONFIG] },
    DatabaseCloser,
  ],
  exports: [Db],
})
export class DatabaseModule {}

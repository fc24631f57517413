import { Inject, Injectable, type InjectionToken, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { Db } from './db.js';

/**
 * Closes the database after the modules that use it have stopped: they import the module that
 * provides it, so Nest runs their shutdown hooks first (a module's hooks run before its imports').
 */
@Injectable()
class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(Db) private readonly db: Db) {}

  onApplicationShutdown(): Promise<void> {
    return this.db.close();
  }
}

/** An app's `Db`, opened (and migrated) by `open` from the app's configuration, closed at shutdown. */
export function databaseProviders<C>(configToken: InjectionToken, open: (config: C) => Promise<Db>): Provider[] {
  return [{ provide: Db, useFactory: open, inject: [configToken] }, DatabaseCloser];
}

import { type DynamicModule, Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Db } from '#ferry/persistence';
import { createRedis, type RedisClient } from '#ferry/queue';
import { openSchedulerDb } from '../persistence/index.js';
import { SecretBox } from '../secrets/secret-box.js';
import { CallbackBase } from './callback-base.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { CLOCK, REDIS, type RuntimeOverrides, SCHEDULER_CONFIG, SCHEDULER_OVERRIDES } from './tokens.js';

/** Closes the database and the producer connection last, once everything that used them has stopped. */
@Injectable()
class CoreResources implements OnApplicationShutdown {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
    await this.db.close();
  }
}

/**
 * What every feature module reads: configuration, clock, the secret box (secrets at rest), database,
 * Redis, the callback base URL.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: SchedulerConfig, overrides: RuntimeOverrides): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: SCHEDULER_CONFIG, useValue: config },
        { provide: SCHEDULER_OVERRIDES, useValue: overrides },
        { provide: CLOCK, useValue: overrides.clock ?? Date.now },
        { provide: SecretBox, useFactory: () => new SecretBox(config.secrets) },
        { provide: Db, useFactory: (box: SecretBox) => openSchedulerDb(config.db, box), inject: [SecretBox] },
        { provide: REDIS, useFactory: () => createRedis(config.redis.connection, 'producer') },
        CoreResources,
        CallbackBase,
      ],
      exports: [SCHEDULER_CONFIG, SCHEDULER_OVERRIDES, CLOCK, SecretBox, Db, REDIS, CallbackBase],
    };
  }
}

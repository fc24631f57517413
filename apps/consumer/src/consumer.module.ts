import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { commonProvidersFrom, HealthController } from '#ferry/http';
import type { ObservabilityOverrides } from '#ferry/observability';
import { Db } from '#ferry/persistence';
import { CONSUMER_CONFIG, type ConsumerConfig } from './config.js';
import { ConsumerConfigModule } from './config.module.js';
import { DatabaseModule } from './database.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { SyncJobsModule } from './sync-jobs/sync-jobs.module.js';

/**
 * The consumer: the configuration is the one value handed in; everything else is built by Nest and
 * started and stopped by its lifecycle hooks (after the HTTP server closes: the job runner, the
 * callbacks' pump, the database, observability last).
 */
@Module({})
export class ConsumerModule {
  static forRoot(config: ConsumerConfig, overrides: ObservabilityOverrides = {}): DynamicModule {
    return {
      module: ConsumerModule,
      imports: [
        ConsumerConfigModule.forRoot(config, overrides),
        ObservabilityModule,
        TerminusModule,
        DatabaseModule,
        SyncJobsModule,
      ],
      controllers: [HealthController],
      providers: commonProvidersFrom(
        CONSUMER_CONFIG,
        (c: ConsumerConfig) => ({ auth: c.auth, rateLimitPerSecond: c.http.rateLimitPerSecond }),
        Db,
      ),
    };
  }
}

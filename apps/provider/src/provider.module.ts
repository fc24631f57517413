import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { commonProvidersFrom, HealthController } from '#ferry/http';
import type { ObservabilityOverrides } from '#ferry/observability';
import { Db } from '#ferry/persistence';
import { PROVIDER_CONFIG, type ProviderConfig } from './config.js';
import { ProviderConfigModule } from './config.module.js';
import { DatabaseModule } from './database.module.js';
import { DatasetsModule } from './datasets/datasets.module.js';
import { FilesModule } from './files/files.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { OutboxModule } from './outbox/outbox.module.js';

/**
 * The provider: the configuration is the one value handed in; everything else is built by Nest and
 * started and stopped by its lifecycle hooks (after the HTTP server closes: the outbox pump, the
 * database, observability last).
 */
@Module({})
export class ProviderModule {
  static forRoot(config: ProviderConfig, overrides: ObservabilityOverrides = {}): DynamicModule {
    return {
      module: ProviderModule,
      imports: [
        ProviderConfigModule.forRoot(config, overrides),
        ObservabilityModule,
        TerminusModule,
        DatabaseModule,
        DatasetsModule,
        FilesModule,
        OutboxModule,
      ],
      controllers: [HealthController],
      providers: commonProvidersFrom(
        PROVIDER_CONFIG,
        (c: ProviderConfig) => ({ auth: c.auth, rateLimitPerSecond: c.http.rateLimitPerSecond }),
        Db,
      ),
    };
  }
}

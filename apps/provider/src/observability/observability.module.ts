import { Global, Module } from '@nestjs/common';
import type { ObservabilityOverrides } from '#ferry/observability';
import { OBSERVABILITY_OVERRIDES, PROVIDER_CONFIG, type ProviderConfig } from '../config.js';
import { PAGES_LISTENER } from '../files/files.service.js';
import { ProviderObservability } from './provider-observability.js';

/**
 * Global, so that Nest starts it before every other module and stops it after them all: the logs
 * and metrics of the app's shutdown are still written.
 */
@Global()
@Module({
  providers: [
    {
      provide: ProviderObservability,
      useFactory: (config: ProviderConfig, overrides: ObservabilityOverrides) =>
        ProviderObservability.create(config, overrides),
      inject: [PROVIDER_CONFIG, OBSERVABILITY_OVERRIDES],
    },
    { provide: PAGES_LISTENER, useExisting: ProviderObservability },
  ],
  exports: [ProviderObservability, PAGES_LISTENER],
})
export class ObservabilityModule {}

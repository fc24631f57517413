import { type DynamicModule, Module } from '@nestjs/common';
import type { ObservabilityOverrides } from '#ferry/observability';
import { OBSERVABILITY_OVERRIDES, PROVIDER_CONFIG, type ProviderConfig } from './config.js';

/** The configuration, read once before boot, and the test overrides: visible to every module. */
@Module({})
export class ProviderConfigModule {
  static forRoot(config: ProviderConfig, overrides: ObservabilityOverrides): DynamicModule {
    return {
      module: ProviderConfigModule,
      global: true,
      providers: [
        { provide: PROVIDER_CONFIG, useValue: config },
        { provide: OBSERVABILITY_OVERRIDES, useValue: overrides },
      ],
      exports: [PROVIDER_CONFIG, OBSERVABILITY_OVERRIDES],
    };
  }
}

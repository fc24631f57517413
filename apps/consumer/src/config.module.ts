import { type DynamicModule, Module } from '@nestjs/common';
import type { ObservabilityOverrides } from '#ferry/observability';
import { CONSUMER_CONFIG, type ConsumerConfig, OBSERVABILITY_OVERRIDES } from './config.js';

/** The configuration, read once before boot, and the test overrides: visible to every module. */
@Module({})
export class ConsumerConfigModule {
  static forRoot(config: ConsumerConfig, overrides: ObservabilityOverrides): DynamicModule {
    return {
      module: ConsumerConfigModule,
      global: true,
      providers: [
        { provide: CONSUMER_CONFIG, useValue: config },
        { provide: OBSERVABILITY_OVERRIDES, useValue: overrides },
      ],
      exports: [CONSUMER_CONFIG, OBSERVABILITY_OVERRIDES],
    };
  }
}

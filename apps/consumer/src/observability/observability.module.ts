import { Global, Module } from '@nestjs/common';
import type { ObservabilityOverrides } from '#ferry/observability';
import { CONSUMER_CONFIG, type ConsumerConfig, OBSERVABILITY_OVERRIDES } from '../config.js';
import { CALLBACKS_LISTENER } from '../sync-jobs/callbacks.js';
import { FILE_RUN_OBSERVER } from '../worker-pool/worker-pool.js';
import { ConsumerObservability } from './consumer-observability.js';

/**
 * Global, so that Nest starts it before every other module and stops it after them all: the logs
 * and metrics of the app's shutdown are still written.
 */
@Global()
@Module({
  providers: [
    {
      provide: ConsumerObservability,
      useFactory: (config: ConsumerConfig, overrides: ObservabilityOverrides) =>
        ConsumerObservability.create(config, overrides),
      inject: [CONSUMER_CONFIG, OBSERVABILITY_OVERRIDES],
    },
    { provide: FILE_RUN_OBSERVER, useExisting: ConsumerObservability },
    { provide: CALLBACKS_LISTENER, useExisting: ConsumerObservability },
  ],
  exports: [ConsumerObservability, FILE_RUN_OBSERVER, CALLBACKS_LISTENER],
})
export class ObservabilityModule {}

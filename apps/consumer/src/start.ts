import { createHttpApp, listen } from '#ferry/http';
import type { ObservabilityOverrides } from '#ferry/observability';
import type { ConsumerConfig } from './config.js';
import { ConsumerModule } from './consumer.module.js';
import { ConsumerObservability } from './observability/consumer-observability.js';

export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

/** Starts the consumer in this process (main.ts, tests and the demo all use it). */
export async function startConsumer(
  config: ConsumerConfig,
  overrides: ObservabilityOverrides = {},
): Promise<RunningApp> {
  const app = await createHttpApp(ConsumerModule.forRoot(config, overrides), {
    title: 'Ferry consumer',
    description: 'The reference downstream: sync jobs loaded on worker threads (docs/contract.md, "Sync jobs")',
    bodyLimitBytes: config.http.bodyLimitBytes,
    docsPublic: config.http.docsPublic,
    logger: config.logger ? undefined : false,
    hooks: (nest) => nest.get(ConsumerObservability).obs.httpHooks({ nestLogger: config.logger }),
    abortOnError: false,
  });
  try {
    const url = await listen(app, config, 'Consumer');
    return { url, close: () => app.close() };
  } catch (err) {
    await app.close();
    throw err;
  }
}

import { createHttpApp, listen } from '#ferry/http';
import type { ObservabilityOverrides } from '#ferry/observability';
import type { ProviderConfig } from './config.js';
import { ProviderObservability } from './observability/provider-observability.js';
import { ProviderModule } from './provider.module.js';

export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

/** Starts the provider in this process (main.ts, tests and the demo all use it). */
export async function startProvider(
  config: ProviderConfig,
  overrides: ObservabilityOverrides = {},
): Promise<RunningApp> {
  const app = await createHttpApp(ProviderModule.forRoot(config, overrides), {
    title: 'Ferry provider',
    description: 'Datasets and files served page by page (docs/contract.md, "Provider")',
    bodyLimitBytes: config.http.bodyLimitBytes,
    docsPublic: config.http.docsPublic,
    logger: config.logger ? undefined : false,
    hooks: (nest) => nest.get(ProviderObservability).obs.httpHooks({ nestLogger: config.logger }),
    abortOnError: false,
  });
  try {
    const url = await listen(app, config, 'Provider');
    return { url, close: () => app.close() };
  } catch (err) {
    await app.close();
    throw err;
  }
}

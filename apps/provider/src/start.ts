import type { Type } from '@nestjs/common';
import { createHttpApp, listen } from '#ferry/http';
import type { ProviderConfig } from './config.js';
import { openProviderDb } from './database.js';
import { Announcer } from './outbox/announcer.js';
import { ProviderModule } from './provider.module.js';
import type { ObservabilityOverrides } from '#ferry/observability';
import { ProviderObservability } from './observability/provider-observability.js';

export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

/** Starts the provider in this process (main.ts, tests and the demo all use it). */
export async function startProvider(
  config: ProviderConfig,
  overrides: ObservabilityOverrides = {},
): Promise<RunningApp> {
  const observability = await ProviderObservability.create(config, overrides);
  const db = await openProviderDb(config.db);
  const announcer = new Announcer(db, config);
  const module = ProviderModule.forRoot({ config, db, announcer, observability });
  const app = await createHttpApp(module as unknown as Type<unknown>, {
    title: 'Ferry provider',
    description: 'Datasets and files served page by page (CONTRACT.md, Provider)',
    bodyLimitBytes: config.http.bodyLimitBytes,
    logger: config.logger ? undefined : false,
    hooks: observability.obs.httpHooks({ nestLogger: config.logger }),
  });
  const url = await listen(app, config.http.port, config.http.host, 'Provider');
  await observability.obs.start();
  announcer.pump.start();
  return {
    url,
    close: async () => {
      await app.close();
      await observability.close();
    },
  };
}

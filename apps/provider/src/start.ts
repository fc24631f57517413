import type { Type } from '@nestjs/common';
import { createHttpApp, listen } from '#ferry/http';
import type { ProviderConfig } from './config.js';
import { openProviderDb } from './database.js';
import { Announcer } from './outbox/announcer.js';
import { ProviderModule } from './provider.module.js';

export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

/** Starts the provider in this process (main.ts, tests and the demo all use it). */
export async function startProvider(config: ProviderConfig): Promise<RunningApp> {
  const db = await openProviderDb(config.db);
  const announcer = new Announcer(db, config);
  const module = ProviderModule.forRoot({ config, db, announcer });
  const app = await createHttpApp(module as unknown as Type<unknown>, {
    title: 'Ferry provider',
    description: 'Datasets and files served page by page (CONTRACT.md, Provider)',
    bodyLimitBytes: config.http.bodyLimitBytes,
    logger: config.logger ? undefined : false,
  });
  const url = await listen(app, config.http.port, config.http.host, 'Provider');
  announcer.pump.start();
  return { url, close: () => app.close() };
}

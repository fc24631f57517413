import type { Type } from '@nestjs/common';
import { createHttpApp, listen } from '#ferry/http';
import { Db, openDataSource } from '#ferry/persistence';
import type { ConsumerConfig } from './config.js';
import { ConsumerModule } from './consumer.module.js';
import { DatasetCatalog } from './datasets/catalog.js';
import { ConsumerInit1767000000002 } from './migrations/1767000000002-consumer-init.js';
import { ConsumerPurged1767000000003 } from './migrations/1767000000003-consumer-purged.js';
import type { ObservabilityOverrides } from '#ferry/observability';
import { ConsumerObservability, ObservedCallbacks } from './observability/consumer-observability.js';
import { JobRunner } from './sync-jobs/job-runner.js';
import { JobStore } from './sync-jobs/job-store.js';

export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

/** Starts the consumer in this process (main.ts, tests and the demo all use it). */
export async function startConsumer(
  config: ConsumerConfig,
  overrides: ObservabilityOverrides = {},
): Promise<RunningApp> {
  const observability = await ConsumerObservability.create(config, overrides);
  const ds = await openDataSource(config.db, {
    entities: [],
    migrations: [ConsumerInit1767000000002, ConsumerPurged1767000000003],
    migrationsTableName: 'consumer_migrations',
  });
  const db = new Db(ds);
  const jobs = new JobStore(db);
  const callbacks = new ObservedCallbacks(db, config, observability);
  const runner = new JobRunner(config, db, jobs, callbacks, new DatasetCatalog(db, config));
  observability.watchPool(runner.pool);
  const app = await createHttpApp(
    ConsumerModule.forRoot({ config, db, jobs, callbacks, runner }) as unknown as Type<unknown>,
    {
      title: 'Ferry consumer',
      description: 'The reference downstream: sync jobs loaded on worker threads (CONTRACT.md, Consumer)',
      bodyLimitBytes: config.http.bodyLimitBytes,
      logger: config.logger ? undefined : false,
      hooks: observability.obs.httpHooks({ nestLogger: config.logger }),
    },
  );
  const url = await listen(app, config.http.port, config.http.host, 'Consumer');
  await observability.obs.start();
  callbacks.pump.start();
  // Unfinished jobs (this instance's, or ones whose owner's lease lapsed) resume from their checkpoints.
  runner.start();
  return {
    url,
    close: async () => {
      await app.close();
      await observability.close();
    },
  };
}

import { fileURLToPath } from 'node:url';
import { Audience, Scope, type TaskCallback } from '#ferry/contracts';
import { call, DEV_MODE_ENV, devToken, type FakeScheduler, spawnApp } from '#ferry/testing';
import { providerConfigFromEnv } from '../apps/provider/src/config.js';
import { startProvider } from '../apps/provider/src/start.js';

// What the sync and sink benchmarks share: a provider on its database, a consumer process, one sync job timed.

const CONSUMER_MAIN = fileURLToPath(new URL('../apps/consumer/src/main.js', import.meta.url));

export function startBenchProvider(dbUrl: string) {
  return startProvider(
    providerConfigFromEnv({
      ...DEV_MODE_ENV,
      FERRY_PROVIDER_PORT: '0',
      FERRY_PROVIDER_HOST: '127.0.0.1',
      FERRY_PROVIDER_DB_TYPE: 'postgres',
      FERRY_PROVIDER_DB_URL: dbUrl,
      FERRY_PROVIDER_ANNOUNCE: 'false',
      FERRY_PROVIDER_LOG: 'false',
      FERRY_RATE_LIMIT_PER_SECOND: '1000000',
    }),
  );
}

/** The consumer as deployed (its own process, so its peak RSS is its own), on PostgreSQL. */
export function spawnBenchConsumer(
  dbUrl: string,
  providerUrl: string,
  env: Record<string, string>,
  nodeArgs?: string[],
) {
  return spawnApp(
    CONSUMER_MAIN,
    {
      ...DEV_MODE_ENV,
      FERRY_CONSUMER_HOST: '127.0.0.1',
      FERRY_CONSUMER_DB_TYPE: 'postgres',
      FERRY_CONSUMER_DB_URL: dbUrl,
      FERRY_CONSUMER_PROVIDER_URL: providerUrl,
      FERRY_CONSUMER_LOG: 'false',
      FERRY_RATE_LIMIT_PER_SECOND: '1000000',
      ...env,
    },
    'FERRY_CONSUMER_PORT',
    { nodeArgs },
  );
}

/** A file of a sync job: where it comes from and what it should hold. */
export interface BenchFile {
  dataset: string;
  name: string;
  fileId: string;
  recordCount: number;
  checksum: string;
}

/** One sync job of these files, from the request to its final callback, which must be SUCCEEDED. */
export async function timeSyncJob(
  consumerUrl: string,
  scheduler: FakeScheduler,
  id: string,
  files: BenchFile[],
): Promise<{ seconds: number; callback: TaskCallback }> {
  const token = devToken(Audience.consumer, [Scope.syncWrite, Scope.syncRead], 'ferry-scheduler');
  const started = performance.now();
  const res = await call('POST', `${consumerUrl}/api/v1/sync-jobs`, {
    token,
    headers: { 'idempotency-key': id },
    body: {
      taskRunId: id,
      dispatchId: `d-${id}`,
      callbackUrl: scheduler.callbackUrl(id),
      files: files.map((f) => ({
        name: f.name,
        dataset: f.dataset,
        fileId: f.fileId,
        recordCount: f.recordCount,
        checksum: f.checksum,
      })),
    },
  });
  if (res.status !== 202) throw new Error(`sync request: ${res.status} ${JSON.stringify(res.body)}`);
  const done = await scheduler.waitFor(
    () => scheduler.callbacks.find((c) => c.body.status === 'SUCCEEDED' || c.body.status === 'FAILED'),
    30 * 60_000,
    'the final callback',
  );
  const seconds = (performance.now() - started) / 1000;
  if (done.body.status !== 'SUCCEEDED') throw new Error(`sync failed: ${JSON.stringify(done.body)}`);
  return { seconds, callback: done.body };
}

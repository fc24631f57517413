import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { call, devToken } from '#ferry/testing';
import { Audience, Scope } from '#ferry/contracts';
import { demoDatasetSpec, demoInvalidRecord, demoRecord } from '#ferry/datasets';
import { consumerConfigFromEnv } from '../apps/consumer/src/config.js';
import { startConsumer } from '../apps/consumer/src/start.js';
import { providerConfigFromEnv } from '../apps/provider/src/config.js';
import { startProvider } from '../apps/provider/src/start.js';
import { schedulerConfigFromEnv, startScheduler } from '../apps/scheduler/src/index.js';
import { mintDevToken } from './demo/mint-token.js';
import { ensureRedis } from './demo/redis.js';
import { type FileRow, renderProgress, renderReconciliation } from './demo/render.js';

// `npm run demo`: the whole flow on the embedded default (SQLite files under ./data/demo, Redis on
// localhost). Provider publishes files → scheduler dispatches → consumer loads → callbacks → SUCCEEDED.
const DATASETS = ['customers', 'accounts', 'contacts'];
const RECORDS = Number(process.env.FERRY_DEMO_RECORDS ?? 5000);
const keep = process.argv.includes('--keep');
// Coloured one-line logs (only warnings and errors: the progress bars tell the story) unless asked otherwise.
// The printed /docs links open in a browser, which sends no token: the demo serves them openly.
const env: Record<string, string | undefined> = {
  FERRY_LOG_FORMAT: 'pretty',
  FERRY_DOCS_PUBLIC: 'true',
  ...process.env,
  // The demo runs on the public development secret and default clients, which only development mode trusts.
  FERRY_DEV_MODE: 'true',
};

console.log('Ferry demo — provider → scheduler → consumer on SQLite\n');
rmSync('./data/demo', { recursive: true, force: true });
const redis = await ensureRedis(env.FERRY_REDIS_URL ?? 'redis://127.0.0.1:6379');
const quiet = { FERRY_PROVIDER_LOG: 'false', FERRY_CONSUMER_LOG: 'false' };
const scheduler = await startScheduler({
  ...schedulerConfigFromEnv({
    ...env,
    FERRY_REDIS_URL: redis.url,
    FERRY_QUEUE_PREFIX: `{ferry-demo-${Date.now().toString(36)}}`,
    FERRY_SCHEDULER_DB_URL: './data/demo/scheduler.sqlite',
    FERRY_SCHEDULER_PORT: env.FERRY_SCHEDULER_PORT ?? '0',
  }),
  logLevels: ['error', 'fatal'],
});
const provider = await startProvider(
  providerConfigFromEnv({
    ...env,
    ...quiet,
    FERRY_PROVIDER_DB_URL: './data/demo/provider.sqlite',
    FERRY_PROVIDER_PORT: env.FERRY_PROVIDER_PORT ?? '0',
    FERRY_PROVIDER_SCHEDULER_URL: scheduler.url,
    FERRY_PROVIDER_OUTBOX_POLL_MS: '100',
  }),
);
const consumer = await startConsumer(
  consumerConfigFromEnv({
    ...env,
    ...quiet,
    FERRY_CONSUMER_DB_URL: './data/demo/consumer.sqlite',
    FERRY_CONSUMER_PORT: env.FERRY_CONSUMER_PORT ?? '0',
    FERRY_CONSUMER_PROVIDER_URL: provider.url,
    FERRY_CONSUMER_PROGRESS_MS: '200',
    FERRY_CONSUMER_PAGE_SIZE: '500',
  }),
);
console.log(`  scheduler ${scheduler.url}\n  provider  ${provider.url}\n  consumer  ${consumer.url}\n`);

const admin = devToken(Audience.scheduler, [Scope.adminRead, Scope.adminWrite], 'ferry-admin', undefined, 3600);
const publisher = devToken(Audience.provider, [Scope.dataWrite, Scope.dataRead], 'upstream-dev', undefined, 3600);
const must = async (what: string, p: Promise<{ status: number; body: any }>): Promise<any> => {
  const r = await p;
  if (r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

await must(
  'create definition',
  call('POST', `${scheduler.url}/api/v1/definitions`, {
    token: admin,
    body: {
      name: 'demo-sync',
      description: 'Demo: every dataset the provider publishes, into the consumer',
      mode: 'ASYNC',
      bindings: DATASETS.map((d) => ({ source: 'ferry-provider', event: `${d}.ready` })),
      target: { urls: [consumer.url] },
      pollIntervalSeconds: 5,
      retry: { maxAttempts: 3, initialDelaySeconds: 2, factor: 2, maxDelaySeconds: 30 },
      attemptTimeoutSeconds: 600,
      deadline: { afterTriggerMinutes: 10 },
    },
  }),
);
for (const [n, dataset] of DATASETS.entries()) {
  await must(
    `create dataset ${dataset}`,
    call('POST', `${provider.url}/api/v1/datasets`, { token: publisher, body: demoDatasetSpec(dataset) }),
  );
  // A few records break the dataset's schema on purpose: they are rejected, kept and counted.
  const records = Array.from({ length: RECORDS }, (_, i) =>
    i % 997 === 5 ? demoInvalidRecord(i) : demoRecord(i + n * 1_000_000),
  );
  await must(
    `publish ${dataset}`,
    call('POST', `${provider.url}/api/v1/datasets/${dataset}/files`, {
      token: publisher,
      body: {
        fileId: `${dataset}-001`,
        name: `${dataset}-001.ndjson`,
        mode: 'snapshot',
        businessDate: new Date().toISOString().slice(0, 10),
        records,
      },
    }),
  );
}
console.log(`Published ${DATASETS.length} files of ${RECORDS} records; following the runs:\n`);

const started = Date.now();
let rows: FileRow[];
let drawn = false;
for (;;) {
  const page = await must(
    'list runs',
    call('GET', `${scheduler.url}/api/v1/group-runs?definition=demo-sync&limit=50`, { token: admin }),
  );
  const groups: Array<{ status: string; tasks: unknown[] }> = await Promise.all(
    page.items.map((g: { id: string }) =>
      must('get run', call('GET', `${scheduler.url}/api/v1/group-runs/${g.id}`, { token: admin })),
    ),
  );
  rows = groups
    .flatMap((g) => g.tasks)
    .map((t: any) => ({
      file: t.file.name,
      status: t.status,
      processed: t.progress?.processed ?? 0,
      total: t.progress?.total ?? t.file.recordCount ?? 0,
      reconciliation: t.reconciliation,
      reconciliationStatus: t.reconciliationStatus,
    }))
    .sort((a: FileRow, b: FileRow) => a.file.localeCompare(b.file));
  if (rows.length) {
    renderProgress(rows, drawn);
    drawn = true;
  }
  const done = groups.length === DATASETS.length && groups.every((g: { status: string }) => g.status !== 'RUNNING');
  if (done || Date.now() - started > 180_000) break;
  await new Promise((r) => setTimeout(r, 250));
}
renderReconciliation(rows);
const ok = rows.length === DATASETS.length && rows.every((r) => r.status === 'SUCCEEDED');
console.log(
  ok
    ? `\nAll ${rows.length} files SUCCEEDED in ${((Date.now() - started) / 1000).toFixed(1)} s.`
    : '\nThe demo did not finish cleanly (see the statuses above).',
);
console.log(`
Look at:
  ${scheduler.url}/portal                    the operators' portal (npm run demo -- --keep: a login is printed)
  ${scheduler.url}/docs                      the scheduler's API (OpenAPI)
  ${scheduler.url}/api/v1/group-runs         the runs (admin:read token needed)
  ${consumer.url}/docs  ${provider.url}/docs
  ./data/demo/*.sqlite                        each app's own database`);
if (keep) {
  const adminRead = mintDevToken(['--client', 'ferry-admin', '--scope', Scope.adminRead], env);
  // No default account exists: the demo makes one with a random password, shown here only.
  const password = randomBytes(12).toString('base64url');
  await must(
    'create the demo login',
    call('POST', `${scheduler.url}/api/v1/users`, {
      token: admin,
      body: { username: 'demo', role: 'admin', password },
    }),
  );
  console.log(`
Portal: ${scheduler.url}/portal  (username demo, password ${password})`);
  console.log(`
--keep: the apps stay up; Ctrl-C stops them. Call the API with a development token (valid an hour;
\`FERRY_DEV_MODE=true npm run token -- --client ferry-admin --scope admin:read\` mints another):
  curl -H 'Authorization: Bearer ${adminRead}' ${scheduler.url}/api/v1/group-runs`);
  await new Promise<void>((r) => process.once('SIGINT', () => r()));
}
await consumer.close();
await provider.close();
await scheduler.close();
redis.stop();
process.exit(ok ? 0 : 1);

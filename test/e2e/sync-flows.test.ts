import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Audience, Scope, type TriggerMessage } from '#ferry/contracts';
import { demoDatasetSpec, demoInvalidRecord, demoRecord } from '#ferry/datasets';
import {
  call,
  createTestDatabase,
  devToken,
  type FakeScheduler,
  startFakeScheduler,
  TEST_DB_TYPES,
  type TestDatabase,
} from '#ferry/testing';
import { startConsumer } from '../../apps/consumer/src/start.js';
import { compileMapping } from '../../apps/consumer/src/workers/mapping.js';
import { type RunningApp, startProvider } from '../../apps/provider/src/start.js';
import { readTable, testConsumerConfig, testProviderConfig } from '../support/apps.js';
import { ensureBuilt } from '../support/build.js';

const spec = demoDatasetSpec('customers');
const mapping = compileMapping(spec);
const providerWrite = devToken(Audience.provider, [Scope.dataWrite]);
const syncToken = devToken(Audience.consumer, [Scope.syncWrite, Scope.syncRead], 'ferry-scheduler');

/** What the target table must hold for these source records (in the generic representation). */
function expectedRows(records: Array<Record<string, unknown>>, dbType: string) {
  return records
    .map((r) => (mapping.map(r) as { row: unknown[] }).row)
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])))
    .map((row) =>
      Object.fromEntries(
        spec.mapping.columns.map((c, i) => [
          c.name,
          dbType === 'sqlite' && typeof row[i] === 'boolean' ? Number(row[i]) : row[i],
        ]),
      ),
    );
}

jest.setTimeout(40_000);

describe.each(TEST_DB_TYPES)('provider → scheduler → consumer on %s', (dbType) => {
  let dbs: TestDatabase[] = [];
  let scheduler: FakeScheduler;
  let provider: RunningApp;
  let consumer: RunningApp;
  let consumerDb: TestDatabase;

  // Plays the scheduler's dispatch: one sync job per announced file.
  const dispatch = (t: TriggerMessage, overrides: Record<string, unknown> = {}, key?: string) => {
    const file = t.files![0];
    const taskRunId = `task-${file.fileId}${key ? `-${key}` : ''}`;
    const body = {
      taskRunId,
      dispatchId: `d-${taskRunId}`,
      callbackUrl: scheduler.callbackUrl(taskRunId),
      dataset: file.dataset,
      files: [{ ...file, ...overrides }],
    };
    return call('POST', `${consumer.url}/api/v1/sync-jobs`, {
      token: syncToken,
      body,
      headers: { 'idempotency-key': `k-${taskRunId}` },
    });
  };
  const final = (taskRunId: string) =>
    scheduler.waitFor(
      () =>
        scheduler.callbacks.find(
          (c) => c.taskRunId === taskRunId && (c.body.status === 'SUCCEEDED' || c.body.status === 'FAILED'),
        ),
      30_000,
      `final report of ${taskRunId}`,
    );
  const publish = async (fileId: string, mode: string, records: unknown[]) => {
    const res = await call('POST', `${provider.url}/api/v1/datasets/customers/files`, {
      token: providerWrite,
      body: { fileId, mode, records },
    });
    expect(res.status).toBe(201);
    return res.body;
  };
  const table = () =>
    readTable(consumerDb.config, spec.mapping.table, 'customer_id').then((rows) =>
      rows.map(({ _ferry_gen, _ferry_chg, ...r }) => ({
        ...r,
        balance_cents: Number(r.balance_cents),
        updated_at: Number(r.updated_at),
      })),
    );

  beforeAll(async () => {
    await ensureBuilt();
    const providerDb = await createTestDatabase(dbType);
    consumerDb = await createTestDatabase(dbType);
    dbs = [providerDb, consumerDb];
    scheduler = await startFakeScheduler({ onTrigger: (t) => void dispatch(t).catch(() => undefined) });
    provider = await startProvider(testProviderConfig(providerDb.config, scheduler.url));
    consumer = await startConsumer(
      testConsumerConfig(consumerDb.config, provider.url, {
        FERRY_CONSUMER_INSTANCE_ID: `e2e-${dbType}`,
        FERRY_CONSUMER_DATASET_MAX_AGE_SECONDS: '3600',
        FERRY_CONSUMER_LOG: process.env.E2E_LOG ?? 'false',
      }),
    );
    expect((await call('POST', `${provider.url}/api/v1/datasets`, { token: providerWrite, body: spec })).status).toBe(
      201,
    );
  }, 60_000);

  afterAll(async () => {
    await consumer?.close();
    await provider?.close();
    await scheduler?.close();
    for (const d of dbs) await d.drop();
  });

  const v0 = Array.from({ length: 50 }, (_, i) => demoRecord(i + 1));

  it('loads a snapshot, rejecting and counting invalid records', async () => {
    const manifest = await publish('s1', 'snapshot', [...v0, demoInvalidRecord(51), { id: 'c-52', balance: 1 }]);
    const done = await final('task-s1');
    expect(done.body).toMatchObject({
      dispatchId: 'd-task-s1',
      status: 'SUCCEEDED',
      reconciliation: {
        expected: 52,
        received: 52,
        inserted: 50,
        updated: 0,
        deleted: 0,
        unchanged: 0,
        rejected: 2,
        checksum: manifest.checksum,
      },
    });
    const statuses = scheduler.callbacks.filter((c) => c.taskRunId === 'task-s1').map((c) => c.body.status);
    expect(statuses[0]).toBe('ACCEPTED');
    expect(statuses.slice(1, -1).every((s) => s === 'RUNNING')).toBe(true);
    expect(await table()).toEqual(expectedRows(v0, dbType));

    const jobId = (await dispatch(scheduler.triggers.find((t) => t.messageId === 'file-s1')!)).body.jobId;
    const rejected = await call('GET', `${consumer.url}/api/v1/sync-jobs/${jobId}/rejected`, { token: syncToken });
    expect(rejected.body.items.map((r: { position: number; reasons: string[] }) => [r.position, r.reasons])).toEqual([
      [51, ['balance: must be integer']],
      [
        52,
        [
          "name: must have required property 'name'",
          "active: must have required property 'active'",
          "updatedAt: must have required property 'updatedAt'",
        ],
      ],
    ]);
  });

  it('applies a changes file with upserts and deletes', async () => {
    const changes = [
      ...[1, 2, 3].map((i) => ({ ...demoRecord(i, 1), op: 'upsert' })),
      ...[101, 102].map((i) => ({ ...demoRecord(i), op: 'upsert' })),
      { id: 'c-4', op: 'delete' },
      { id: 'c-5', op: 'delete' },
      { id: 'c-999', op: 'delete' },
      { ...demoRecord(6), op: 'upsert' },
    ];
    await publish('c1', 'changes', changes);
    expect((await final('task-c1')).body).toMatchObject({
      status: 'SUCCEEDED',
      reconciliation: { expected: 9, received: 9, inserted: 2, updated: 3, deleted: 2, unchanged: 2, rejected: 0 },
    });
    const now = [...[1, 2, 3].map((i) => demoRecord(i, 1)), ...v0.slice(5), demoRecord(101), demoRecord(102)];
    expect(await table()).toEqual(expectedRows(now, dbType));
  });

  it('removes the rows a second snapshot no longer has', async () => {
    await publish('s2', 'snapshot', v0.slice(0, 40));
    expect((await final('task-s2')).body).toMatchObject({
      status: 'SUCCEEDED',
      reconciliation: {
        expected: 40,
        received: 40,
        inserted: 2,
        updated: 3,
        deleted: 0,
        unchanged: 35,
        rejected: 0,
        purged: 12,
      },
    });
    expect(await table()).toEqual(expectedRows(v0.slice(0, 40), dbType));
  });

  it('reports a checksum mismatch as FAILED and leaves the table as it was', async () => {
    const t = scheduler.triggers.find((x) => x.messageId === 'file-s2')!;
    const bad = `sha256:${'0'.repeat(64)}`;
    expect((await dispatch(t, { checksum: bad }, 'bad')).status).toBe(202);
    const done = await final('task-s2-bad');
    expect(done.body).toMatchObject({
      status: 'FAILED',
      error: { code: 'CHECKSUM_MISMATCH' },
      reconciliation: {
        expected: 40,
        received: 40,
        inserted: 0,
        updated: 0,
        deleted: 0,
        unchanged: 40,
        checksum: t.files![0].checksum,
      },
    });
    expect(await table()).toEqual(expectedRows(v0.slice(0, 40), dbType));
  });

  it('is idempotent by Idempotency-Key', async () => {
    const t = scheduler.triggers.find((x) => x.messageId === 'file-s2')!;
    const again = await dispatch(t, { checksum: `sha256:${'0'.repeat(64)}` }, 'bad');
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('FAILED');
    const conflict = await dispatch(t, { checksum: `sha256:${'1'.repeat(64)}` }, 'bad');
    expect(conflict.status).toBe(409);
    const view = await call('GET', `${consumer.url}/api/v1/sync-jobs/${again.body.jobId}`, { token: syncToken });
    expect(view.body).toMatchObject({
      jobId: again.body.jobId,
      status: 'FAILED',
      error: { code: 'CHECKSUM_MISMATCH' },
    });
    const noKey = await call('POST', `${consumer.url}/api/v1/sync-jobs`, {
      token: syncToken,
      body: { taskRunId: 'x', dispatchId: 'x', callbackUrl: 'http://x/y', files: [] },
    });
    expect(noKey.status).toBe(422);
    expect(
      (await call('POST', `${consumer.url}/api/v1/sync-jobs/${again.body.jobId}/cancel`, { token: syncToken })).status,
    ).toBe(409);
  });

  it(
    'a new schemaVersion reaches the next file at once, ' +
      "though the consumer's copy of the dataset is still within its max age",
    async () => {
      // v2 allows a `region` the v1 schema (additionalProperties: false) rejects.
      const v2 = {
        ...spec,
        schema: { ...spec.schema, properties: { ...(spec.schema.properties as object), region: { type: 'string' } } },
        mapping: { ...spec.mapping, drop: [...spec.mapping.drop!, 'region'] },
      };
      const put = await call('POST', `${provider.url}/api/v1/datasets`, { token: providerWrite, body: v2 });
      expect(put.status).toBe(200);
      expect(put.body.schemaVersion).toBe(2);
      const records = [1, 2].map((i) => ({ ...demoRecord(i, 2), region: 'emea', op: 'upsert' }));
      const manifest = await publish('c2', 'changes', records);
      expect(manifest.schemaVersion).toBe(2);
      expect((await final('task-c2')).body).toMatchObject({
        status: 'SUCCEEDED',
        reconciliation: { expected: 2, received: 2, updated: 2, rejected: 0 },
      });
      const stored = await readTable(consumerDb.config, 'con_datasets', 'name');
      expect(Number(stored.find((r) => r.name === 'customers')?.schema_version)).toBe(2);
    },
  );
});

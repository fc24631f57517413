import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Audience, type FileManifest, Scope } from '#ferry/contracts';
import { demoDatasetSpec, demoRecord } from '#ferry/datasets';
import {
  call,
  createTestDatabase,
  devToken,
  type FakeScheduler,
  startFakeScheduler,
  type TestDatabase,
} from '#ferry/testing';
import { startConsumer } from '../../apps/consumer/src/start.js';
import { type RunningApp, startProvider } from '../../apps/provider/src/start.js';
import { readTable, testConsumerConfig, testProviderConfig } from '../support/apps.js';
import { ensureBuilt } from '../support/build.js';
import { PageGate } from '../support/page-gate.js';

const FILES = 8;
const RECORDS = 200;
const providerWrite = devToken(Audience.provider, [Scope.dataWrite]);
const syncToken = devToken(Audience.consumer, [Scope.syncWrite, Scope.syncRead], 'ferry-scheduler');

jest.setTimeout(90_000);

// A sync job of 8 files, each of its own dataset, on a consumer with 8 worker threads: the provider
// is reached through a gate that answers no file's first page until all 8 files have asked for one.
describe('a sync job of 8 files on PostgreSQL', () => {
  const dbs: TestDatabase[] = [];
  let scheduler: FakeScheduler;
  let provider: RunningApp;
  let consumer: RunningApp;
  let gate: PageGate;
  const datasets = Array.from({ length: FILES }, (_, i) => demoDatasetSpec(`fanout_${i}`));
  const manifests: FileManifest[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    const providerDb = await createTestDatabase('postgres');
    const consumerDb = await createTestDatabase('postgres');
    dbs.push(providerDb, consumerDb);
    scheduler = await startFakeScheduler();
    provider = await startProvider(testProviderConfig(providerDb.config, scheduler.url));
    gate = await new PageGate(provider.url, FILES).start();
    consumer = await startConsumer(
      testConsumerConfig(consumerDb.config, gate.url, {
        FERRY_CONSUMER_INSTANCE_ID: 'e2e-fan-out',
        FERRY_CONSUMER_WORKERS: String(FILES),
      }),
    );
    for (const [i, spec] of datasets.entries()) {
      expect((await call('POST', `${provider.url}/api/v1/datasets`, { token: providerWrite, body: spec })).status).toBe(
        201,
      );
      const records = Array.from({ length: RECORDS }, (_, j) => demoRecord(i * RECORDS + j + 1));
      const res = await call('POST', `${provider.url}/api/v1/datasets/${spec.name}/files`, {
        token: providerWrite,
        body: { fileId: `f${i}`, mode: 'snapshot', records },
      });
      expect(res.status).toBe(201);
      manifests.push(res.body);
    }
  }, 60_000);

  afterAll(async () => {
    await consumer?.close();
    await gate?.close();
    await provider?.close();
    await scheduler?.close();
    for (const d of dbs) await d.drop();
  });

  it('reads every file at once on the worker pool and loads each exactly', async () => {
    const res = await call('POST', `${consumer.url}/api/v1/sync-jobs`, {
      token: syncToken,
      headers: { 'idempotency-key': 'fan-out' },
      body: {
        taskRunId: 'fan-out',
        dispatchId: 'd-fan-out',
        callbackUrl: scheduler.callbackUrl('fan-out'),
        files: manifests.map(({ dataset, fileId, recordCount, checksum }) => ({
          name: `${fileId}.ndjson`,
          dataset,
          fileId,
          recordCount,
          checksum,
        })),
      },
    });
    expect(res.status).toBe(202);
    // Fewer than 8 files on the pool at once would never open the gate.
    await scheduler.waitFor(() => gate.open, 60_000, `all ${FILES} files reading at once`);
    const done = await scheduler.waitFor(
      () => scheduler.callbacks.find((c) => c.body.status === 'SUCCEEDED' || c.body.status === 'FAILED'),
      60_000,
      'the final callback',
    );
    expect(done.body.status).toBe('SUCCEEDED');

    // Every file's reading overlaps every other's: the latest start comes before the earliest end.
    const readings = [...gate.readings.values()];
    expect(readings).toHaveLength(FILES);
    expect(Math.max(...readings.map((r) => r.start))).toBeLessThan(Math.min(...readings.map((r) => r.end)));

    const job = await call('GET', `${consumer.url}/api/v1/sync-jobs/${res.body.jobId}`, { token: syncToken });
    expect(
      job.body.files.map((f: any) => [f.dataset, f.status, f.reconciliation.inserted, f.reconciliation.checksum]),
    ).toEqual(manifests.map((m) => [m.dataset, 'SUCCEEDED', RECORDS, m.checksum]));
    for (const [i, spec] of datasets.entries()) {
      const rows = await readTable(dbs[1].config, spec.mapping.table, 'customer_id');
      expect(rows.map((r) => r.customer_id).sort()).toEqual(
        Array.from({ length: RECORDS }, (_, j) => `c-${i * RECORDS + j + 1}`).sort(),
      );
    }
  });
});

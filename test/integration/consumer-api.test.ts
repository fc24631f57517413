import 'reflect-metadata';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Audience, Scope } from '#ferry/contracts';
import { checksumOf, demoDatasetSpec, demoRecord } from '#ferry/datasets';
import {
  call,
  createTestDatabase,
  devToken,
  type FakeScheduler,
  startFakeScheduler,
  TEST_DB_TYPES,
  type TestDatabase,
} from '#ferry/testing';
import { type RunningApp, startConsumer } from '../../apps/consumer/src/start.js';
import { readTable, testConsumerConfig } from '../support/apps.js';
import { ensureBuilt } from '../support/build.js';

const spec = demoDatasetSpec('customers');
const records = Array.from({ length: 10 }, (_, i) => demoRecord(i + 1));
const write = devToken(Audience.consumer, [Scope.syncWrite, Scope.syncRead], 'ferry-scheduler');
const readOnly = devToken(Audience.consumer, [Scope.syncRead], 'ferry-scheduler');

/**
 * A provider whose record pages wait until the test lets them go, so that a job stays RUNNING for
 * as long as the test needs it to.
 */
async function holdingProvider(): Promise<{ url: string; release(): void; close(): Promise<void> }> {
  const held: ServerResponse[] = [];
  let released = false;
  const page = `{"records":${JSON.stringify(records)},"nextCursor":null}`;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (body: string) => res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    const path = req.url ?? '';
    if (path.includes('/records')) return released ? send(page) : void held.push(res);
    if (path.includes('/files/'))
      return send(
        JSON.stringify({
          fileId: 'f',
          dataset: 'customers',
          mode: 'snapshot',
          recordCount: 10,
          checksum: checksumOf(records),
          schemaVersion: 1,
          createdAt: new Date().toISOString(),
        }),
      );
    send(
      JSON.stringify({
        ...spec,
        schemaVersion: 1,
        createdAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    release: () => {
      released = true;
      for (const res of held.splice(0)) res.writeHead(200, { 'content-type': 'application/json' }).end(page);
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

jest.setTimeout(30_000);

describe.each(TEST_DB_TYPES)('consumer API on %s', (dbType) => {
  let db: TestDatabase;
  let scheduler: FakeScheduler;
  let provider: Awaited<ReturnType<typeof holdingProvider>>;
  let consumer: RunningApp;
  let api: string;
  const job = (taskRunId: string) => ({
    taskRunId,
    dispatchId: `d-${taskRunId}`,
    callbackUrl: scheduler.callbackUrl(taskRunId),
    dataset: 'customers',
    files: [{ name: 'f.ndjson', fileId: 'f', recordCount: 10, checksum: checksumOf(records) }],
  });
  const post = (body: unknown, key: string | undefined, token = write) =>
    call('POST', `${api}/sync-jobs`, { token, body, headers: key ? { 'idempotency-key': key } : {} });

  beforeAll(async () => {
    await ensureBuilt();
    db = await createTestDatabase(dbType);
    scheduler = await startFakeScheduler();
    provider = await holdingProvider();
    consumer = await startConsumer(
      testConsumerConfig(db.config, provider.url, { FERRY_CONSUMER_INSTANCE_ID: `api-${dbType}` }),
    );
    api = `${consumer.url}/api/v1`;
  }, 60_000);

  afterAll(async () => {
    provider?.release();
    await consumer?.close();
    await provider?.close();
    await scheduler?.close();
    await db?.drop();
  });

  it('answers 401 without a valid token and 403 without the scope', async () => {
    expect((await post(job('a'), 'k-a', '')).status).toBe(401);
    const wrongAudience = devToken(Audience.provider, [Scope.syncWrite], 'ferry-scheduler');
    const wrongSecret = devToken(Audience.consumer, [Scope.syncWrite], 'ferry-scheduler', 'not-the-secret');
    for (const token of [wrongAudience, wrongSecret, 'not.a.jwt']) {
      const res = await post(job('a'), 'k-a', token);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    }
    const forbidden = await post(job('a'), 'k-a', readOnly);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');
    expect(
      (
        await call('GET', `${api}/sync-jobs/x`, {
          token: devToken(Audience.consumer, [Scope.syncWrite], 'ferry-scheduler'),
        })
      ).status,
    ).toBe(403);
    expect((await call('POST', `${api}/sync-jobs/x/cancel`, { token: readOnly })).status).toBe(403);
  });

  it('answers 422 for a bad body or a missing Idempotency-Key, and creates nothing', async () => {
    const bad = await post({ ...job('b'), taskRunId: undefined, callbackUrl: 'not a url', extra: 1 }, 'k-b');
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'callbackUrl',
      'extra',
      'taskRunId',
    ]);
    const noFileId = await post({ ...job('b'), files: [{ name: 'x' }], dataset: undefined }, 'k-b');
    expect(noFileId.body.error.details.map((d: { path: string }) => d.path)).toEqual([
      'files[0].dataset',
      'files[0].fileId',
    ]);
    // Within the contract's schema but beyond what this consumer's tables hold: 422, not a failed insert.
    const tooLong = await post(
      { ...job('b'), dataset: 'd'.repeat(150), callbackUrl: `http://cb.test/${'p'.repeat(2100)}` },
      'k-b',
    );
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error.details.map((d: { path: string }) => d.path)).toEqual([
      'callbackUrl',
      'files[0].dataset',
    ]);
    const noKey = await post(job('b'), undefined);
    expect(noKey.status).toBe(422);
    expect(noKey.body.error.details).toEqual([{ path: 'Idempotency-Key', problem: expect.any(String) }]);
    expect(
      (await call('POST', `${api}/sync-jobs`, { token: write, body: [], headers: { 'idempotency-key': 'k-b' } }))
        .status,
    ).toBe(422);
    expect(await readTable(db.config, 'con_jobs', 'job_id')).toEqual([]);
  });

  it('answers 404 for an unknown job', async () => {
    for (const [method, path] of [
      ['GET', ''],
      ['POST', '/cancel'],
      ['GET', '/rejected'],
    ]) {
      const res = await call(method, `${api}/sync-jobs/00000000-0000-0000-0000-000000000000${path}`, { token: write });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
  });

  it('cancels a running job: FAILED/CANCELLED reported, nothing loaded, a second cancel is 409', async () => {
    const accepted = await post(job('c'), 'k-c');
    expect(accepted.status).toBe(202);
    const url = `${api}/sync-jobs/${accepted.body.jobId}`;
    await scheduler.waitFor(
      () => scheduler.callbacks.find((c) => c.taskRunId === 'c' && c.body.status === 'RUNNING'),
      10_000,
      'RUNNING',
    );
    const cancelled = await call('POST', `${url}/cancel`, { token: write });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      jobId: accepted.body.jobId,
      status: 'CANCELLED',
      error: { code: 'CANCELLED' },
    });
    const report = await scheduler.waitFor(
      () => scheduler.callbacks.find((c) => c.taskRunId === 'c' && c.body.status === 'FAILED'),
      10_000,
      'FAILED',
    );
    expect(report.body).toMatchObject({ dispatchId: 'd-c', error: { code: 'CANCELLED' } });
    expect((await call('POST', `${url}/cancel`, { token: write })).status).toBe(409);
    // The worker's page arrives after the cancel: its transaction must not commit.
    provider.release();
    await new Promise((r) => setTimeout(r, 500));
    expect((await call('GET', url, { token: write })).body).toMatchObject({
      status: 'CANCELLED',
      progress: { processed: 0 },
    });
    expect(await readTable(db.config, spec.mapping.table, 'customer_id')).toEqual([]);
    expect((await post(job('c'), 'k-c')).body).toEqual({ jobId: accepted.body.jobId, status: 'CANCELLED' });
    expect((await post({ ...job('c'), dispatchId: 'other' }, 'k-c')).status).toBe(409);
  });
});

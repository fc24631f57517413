import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Audience, Scope } from '#ferry/contracts';
import { checksumOf, demoDatasetSpec, demoRecord } from '#ferry/datasets';
import {
  call,
  type JsonResponse,
  createTestDatabase,
  devToken,
  type FakeScheduler,
  startFakeScheduler,
  TEST_DB_TYPES,
  type TestDatabase,
} from '#ferry/testing';
import { startProvider, type RunningApp } from '../../apps/provider/src/start.js';
import { testProviderConfig } from '../support/apps.js';

const read = devToken(Audience.provider, [Scope.dataRead]);
const write = devToken(Audience.provider, [Scope.dataWrite]);

describe.each(TEST_DB_TYPES)('provider API on %s', (dbType) => {
  let database: TestDatabase;
  let scheduler: FakeScheduler;
  let provider: RunningApp;
  let api: string;

  beforeAll(async () => {
    database = await createTestDatabase(dbType);
    scheduler = await startFakeScheduler();
    provider = await startProvider(testProviderConfig(database.config, scheduler.url));
    api = `${provider.url}/api/v1`;
  });

  afterAll(async () => {
    await provider?.close();
    await scheduler?.close();
    await database?.drop();
  });

  it('creates a dataset once, versions a changed one, and refuses an inconsistent one', async () => {
    const spec = demoDatasetSpec('people');
    const first = await call('POST', `${api}/datasets`, { token: write, body: spec });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ name: 'people', schemaVersion: 1, key: ['id'] });
    expect((await call('POST', `${api}/datasets`, { token: write, body: spec })).body.schemaVersion).toBe(1);
    const changed = { ...spec, mapping: { ...spec.mapping, drop: [] } };
    expect((await call('POST', `${api}/datasets`, { token: write, body: changed })).body.schemaVersion).toBe(2);
    const got = await call('GET', `${api}/datasets/people`, { token: read });
    expect(got.body.mapping.drop).toEqual([]);
    const bad = await call('POST', `${api}/datasets`, { token: write, body: { ...spec, key: ['nope'] } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details).toEqual([{ path: 'key[0]', problem: 'is not mapped to a column' }]);
    expect((await call('GET', `${api}/datasets/none`, { token: read })).status).toBe(404);
  });

  it('serves a published file by keyset pages with the canonical checksum', async () => {
    await call('POST', `${api}/datasets`, { token: write, body: demoDatasetSpec('customers') });
    const records = Array.from({ length: 25 }, (_, i) => demoRecord(i + 1));
    const pub = await call('POST', `${api}/datasets/customers/files`, {
      token: write,
      body: { fileId: 'f-1', mode: 'snapshot', records },
    });
    expect(pub.status).toBe(201);
    expect(pub.body).toMatchObject({
      fileId: 'f-1',
      dataset: 'customers',
      mode: 'snapshot',
      recordCount: 25,
      checksum: checksumOf(records),
      schemaVersion: 1,
    });
    expect(await call('GET', `${api}/datasets/customers/files/f-1`, { token: read })).toMatchObject({
      status: 200,
      body: pub.body,
    });

    const seen: unknown[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const page: JsonResponse = await call(
        'GET',
        `${api}/datasets/customers/files/f-1/records?limit=10&cursor=${cursor}`,
        { token: read },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.records);
      cursor = page.body.nextCursor;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(records);
    expect(
      (
        await call('POST', `${api}/datasets/customers/files`, {
          token: write,
          body: { fileId: 'f-1', mode: 'snapshot', records },
        })
      ).status,
    ).toBe(409);
  });

  it('refuses bad cursors, tokens, scopes and changes records without op', async () => {
    expect((await call('GET', `${api}/datasets/customers/files/f-1/records?cursor=zzz`, { token: read })).status).toBe(
      422,
    );
    expect((await call('GET', `${api}/datasets/customers/files/f-1/records?limit=0`, { token: read })).status).toBe(
      422,
    );
    expect((await call('GET', `${api}/datasets/customers/files/f-1`)).status).toBe(401);
    expect((await call('GET', `${api}/datasets/customers/files/f-1`, { token: write })).status).toBe(403);
    expect((await call('GET', `${api}/datasets/customers/files/nope`, { token: read })).status).toBe(404);
    const noOp = await call('POST', `${api}/datasets/customers/files`, {
      token: write,
      body: { mode: 'changes', records: [demoRecord(1)] },
    });
    expect(noOp.status).toBe(422);
    expect(noOp.body.error.details[0].path).toBe('records[0].op');
  });

  it('announces each file to the scheduler, retrying while it is down', async () => {
    await scheduler.waitFor(() => scheduler.triggers.find((t) => t.messageId === 'file-f-1'), 10_000, 'trigger of f-1');
    scheduler.setDown(true);
    const pub = await call('POST', `${api}/datasets/customers/files`, {
      token: write,
      body: {
        fileId: 'f-2',
        mode: 'changes',
        businessDate: '2026-11-24',
        records: [{ ...demoRecord(3), op: 'delete' }],
      },
    });
    expect(pub.status).toBe(201);
    await scheduler.waitFor(() => scheduler.refused >= 2, 10_000, 'retries while down');
    scheduler.setDown(false);
    const trigger = await scheduler.waitFor(
      () => scheduler.triggers.find((t) => t.messageId === 'file-f-2'),
      10_000,
      'trigger of f-2',
    );
    expect(trigger).toEqual({
      messageId: 'file-f-2',
      source: 'ferry-provider',
      event: 'customers.ready',
      businessDate: '2026-11-24',
      files: [
        {
          name: 'customers-f-2.ndjson',
          dataset: 'customers',
          fileId: 'f-2',
          recordCount: 1,
          checksum: pub.body.checksum,
        },
      ],
    });
    expect(scheduler.triggers.filter((t) => t.messageId === 'file-f-2')).toHaveLength(1);
  });
});

import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { Audience, Scope } from '#ferry/contracts';
import { checksumOf, type DatasetSpec, demoDatasetSpec, demoRecord } from '#ferry/datasets';
import {
  call,
  createTestDatabase,
  devToken,
  type FakeScheduler,
  type JsonResponse,
  startFakeScheduler,
  type TestDatabase,
} from '#ferry/testing';
import { type RunningApp, startConsumer } from '../../apps/consumer/src/start.js';
import { startProvider } from '../../apps/provider/src/start.js';
import { readTable, testConsumerConfig, testProviderConfig } from '../support/apps.js';
import { ensureBuilt } from '../support/build.js';
import { expectRefused } from '../support/security.js';
import { eventually } from '../support/scheduler.js';

// Finding 8, the consumer and provider side: the consumer bounds the jobs and files it holds, loads a
// dataset only into its own table, and checks a provider's JSON Schemas again before compiling them; its
// reports, and the provider's announcements, are given up after N attempts and retried by operators.

jest.setTimeout(90_000);

/** Long enough for several polls and backoffs of an outbox pump that had not given up. */
const quietWhile = () => new Promise((r) => setTimeout(r, 1500));
/** The delivery state of an outbox row given up after two attempts against a scheduler answering 503. */
const givenUpAfterTwo = {
  status: 'DEAD',
  attempts: 2,
  lastError: expect.stringMatching(/^gave up after 2 attempts: HTTP 503/),
  createdAt: expect.any(String),
  deadAt: expect.any(String),
  nextAttemptAt: null,
};
const syncToken = devToken(Audience.consumer, [Scope.syncWrite, Scope.syncRead], 'ferry-scheduler');
const records = (from: number, n: number) => Array.from({ length: n }, (_, i) => demoRecord(from + i));

interface ServedFile {
  dataset: string;
  records: Array<Record<string, unknown>>;
  /** Record pages wait until release(). */
  held?: boolean;
}

/**
 * A provider that serves whatever the test puts in it: definitions (objects, or raw text), files,
 * and pages held back until released. `fetched` counts requests for anything else (a remote `$ref`).
 */
async function fakeProvider() {
  const definitions = new Map<string, unknown>();
  const files = new Map<string, ServedFile>();
  const waiting: Array<() => void> = [];
  const state = { fetched: 0 };
  const server = createServer((req, res: ServerResponse) => {
    const send = (status: number, body: unknown) =>
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(typeof body === 'string' ? body : JSON.stringify(body));
    const path = new URL(req.url ?? '/', 'http://x').pathname.split('/').map(decodeURIComponent);
    // /api/v1/datasets/{dataset}[/files/{fileId}[/records]]
    if (path[1] !== 'api' || path[3] !== 'datasets') return (state.fetched++, send(404, {}));
    const [dataset, , fileId, records] = path.slice(4);
    if (!fileId) {
      const def = definitions.get(dataset);
      if (def === undefined) return send(404, { error: { code: 'NOT_FOUND', message: dataset, details: [] } });
      const at = new Date().toISOString();
      return send(
        200,
        typeof def === 'string' ? def : { ...(def as object), schemaVersion: 1, createdAt: at, updatedAt: at },
      );
    }
    const file = files.get(fileId)!;
    if (!records)
      return send(200, {
        fileId,
        dataset,
        mode: 'snapshot',
        recordCount: file.records.length,
        checksum: checksumOf(file.records),
        schemaVersion: 1,
        createdAt: new Date().toISOString(),
      });
    const page = () => send(200, { records: file.records, nextCursor: null });
    if (file.held) waiting.push(page);
    else page();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    definitions,
    files,
    state,
    release() {
      for (const f of files.values()) f.held = false;
      for (const page of waiting.splice(0)) page();
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('consumer bounds (PostgreSQL)', () => {
  let db: TestDatabase;
  let scheduler: FakeScheduler;
  let provider: Awaited<ReturnType<typeof fakeProvider>>;
  let consumer: RunningApp;
  let api: string;

  const serve = (spec: DatasetSpec) => provider.definitions.set(spec.name, spec);
  const job = (taskRunId: string, dataset: string, fileIds: string[]) => ({
    taskRunId,
    dispatchId: `d-${taskRunId}`,
    callbackUrl: scheduler.callbackUrl(taskRunId),
    dataset,
    files: fileIds.map((fileId) => ({ name: `${fileId}.ndjson`, fileId })),
  });
  const post = (body: unknown, key: string) =>
    call('POST', `${api}/sync-jobs`, { token: syncToken, body, headers: { 'idempotency-key': key } });
  /** Starts a job and waits for its end; answers the job's view. */
  const runJob = async (taskRunId: string, dataset: string, fileIds: string[]) => {
    const accepted = await post(job(taskRunId, dataset, fileIds), `k-${taskRunId}`);
    expect(accepted.status).toBe(202);
    return finished(accepted.body.jobId);
  };
  const finished = async (jobId: string) => {
    await scheduler.waitFor(
      () => scheduler.callbacks.find((c) => c.body.jobId === jobId && ['SUCCEEDED', 'FAILED'].includes(c.body.status)),
      30_000,
      `job ${jobId} to end`,
    );
    return (await call('GET', `${api}/sync-jobs/${jobId}`, { token: syncToken })).body;
  };
  const query = async (sql: string) => {
    const client = new pg.Client({ connectionString: db.config.url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };
  const storedDatasets = async () => (await query('SELECT name FROM con_datasets ORDER BY name')).map((r) => r.name);
  const tableExists = async (table: string) =>
    (await query(`SELECT 1 FROM information_schema.tables WHERE table_name = '${table}'`)).length > 0;

  beforeAll(async () => {
    await ensureBuilt();
    db = await createTestDatabase('postgres');
    scheduler = await startFakeScheduler();
    provider = await fakeProvider();
    consumer = await startConsumer(
      testConsumerConfig(db.config, provider.url, {
        FERRY_CONSUMER_MAX_JOBS: '2',
        FERRY_CONSUMER_MAX_QUEUED_FILES: '3',
        // A definition stored once serves the test's later jobs (the stored-copy case below relies on it).
        FERRY_CONSUMER_DATASET_MAX_AGE_SECONDS: '3600',
        FERRY_CONSUMER_INSTANCE_ID: 'bounds',
        // Reports to a scheduler that keeps failing are given up after two attempts (the last case).
        FERRY_CONSUMER_CALLBACK_MAX_ATTEMPTS: '2',
      }),
    );
    api = `${consumer.url}/api/v1`;
  }, 90_000);

  // A failed case must not leave worker threads waiting on held pages for the next one.
  afterEach(() => provider?.release());
  afterAll(async () => {
    await consumer?.close();
    await provider?.close();
    await scheduler?.close();
    await db?.drop();
  });

  it('past its jobs or files a new sync job is answered 429 with Retry-After, nothing of it stored', async () => {
    serve(demoDatasetSpec('held'));
    for (const id of ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'h8'])
      provider.files.set(id, { dataset: 'held', records: records(1, 3), held: true });
    // Two files of three: the room left is one file.
    const first = await post(job('a', 'held', ['h1', 'h2']), 'k-a');
    expect(first.status).toBe(202);
    const files = await post(job('b', 'held', ['h3', 'h4']), 'k-b');
    expect(expectRefused(files, 429, 'RATE_LIMITED')).toMatch(/2 files of its limit of 3/);
    expect(files.headers.get('retry-after')).toBe('5');
    // One file fits, and that is the second of two jobs.
    expect((await post(job('c', 'held', ['h5']), 'k-c')).status).toBe(202);
    const jobs = await post(job('d', 'held', ['h6']), 'k-d');
    expect(expectRefused(jobs, 429, 'RATE_LIMITED')).toMatch(/limit of 2 sync jobs/);
    expect(jobs.headers.get('retry-after')).toBe('5');
    // More files than the consumer ever holds can never be taken: 422, not retry-later.
    expectRefused(await post(job('e', 'held', ['h6', 'h7', 'h8', 'h1']), 'k-e'), 422, 'VALIDATION_FAILED');

    // Nothing of the refused jobs: no row, no callback, and the same key is not a replay.
    const stored = await readTable(db.config, 'con_jobs', 'created_at');
    expect(stored.map((r) => r.task_run_id).sort()).toEqual(['a', 'c']);
    expect((await readTable(db.config, 'con_job_files', 'job_id')).length).toBe(3);
    expect(scheduler.callbacks.filter((c) => ['b', 'd', 'e'].includes(c.taskRunId))).toEqual([]);
    expectRefused(await post(job('d', 'held', ['h6']), 'k-d'), 429, 'RATE_LIMITED');

    // Once the jobs end, their room is back: the refused request, sent again, is a new job.
    provider.release();
    await scheduler.waitFor(
      () =>
        ['a', 'c'].every((t) => scheduler.callbacks.some((c) => c.taskRunId === t && c.body.status === 'SUCCEEDED')),
      30_000,
      'the held jobs to succeed',
    );
    // As a scheduler would: again after a wait while the answer is 429 (the room comes back as a job ends).
    let retried = await post(job('b', 'held', ['h3', 'h4']), 'k-b');
    for (let i = 0; retried.status === 429 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      retried = await post(job('b', 'held', ['h3', 'h4']), 'k-b');
    }
    expect(retried.status).toBe(202);
    expect((await finished(retried.body.jobId)).status).toBe('SUCCEEDED');
  });

  it("a dataset mapped onto another dataset's table is refused, and that table is untouched", async () => {
    const owner = demoDatasetSpec('owner');
    serve(owner);
    provider.files.set('o1', { dataset: 'owner', records: records(1, 5) });
    expect((await runJob('own', 'owner', ['o1'])).status).toBe('SUCCEEDED');
    const before = await readTable(db.config, owner.mapping.table, 'customer_id');
    expect(before.length).toBe(5);

    // A snapshot of two records into the owner's table would have purged the other three.
    const intruder = demoDatasetSpec('intruder');
    serve({ ...intruder, mapping: { ...intruder.mapping, table: owner.mapping.table } });
    provider.files.set('i1', { dataset: 'intruder', records: records(100, 2) });
    // A table that is no dataset's (the consumer's own migrations table) is refused as well.
    const squatter = demoDatasetSpec('squatter');
    serve({ ...squatter, mapping: { ...squatter.mapping, table: 'consumer_migrations' } });
    provider.files.set('s1', { dataset: 'squatter', records: records(200, 2) });
    const migrations = await readTable(db.config, 'consumer_migrations', 'id');

    for (const [taskRunId, dataset, file, why] of [
      ['int', 'intruder', 'i1', `maps onto table ${owner.mapping.table}, which is dataset owner's`],
      ['sq', 'squatter', 's1', "maps onto table consumer_migrations, which exists and is no dataset's"],
    ]) {
      const view = await runJob(taskRunId, dataset, [file]);
      expect(view.status).toBe('FAILED');
      expect(view.files[0].error).toEqual({ code: 'DATASET_REFUSED', message: expect.stringContaining(why) });
    }
    expect(await readTable(db.config, owner.mapping.table, 'customer_id')).toEqual(before);
    expect(await readTable(db.config, 'consumer_migrations', 'id')).toEqual(migrations);
    expect(await storedDatasets()).not.toEqual(expect.arrayContaining(['intruder']));
    expect(await storedDatasets()).not.toEqual(expect.arrayContaining(['squatter']));
  });

  it('a provider serving a malicious record schema fails the file with the reason, and nothing is loaded', async () => {
    const remoteRef = `${provider.url}/schemas/customer.json`;
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 40; i++) deep = { type: 'object', properties: { child: deep } };
    const cases: Array<[string, (spec: DatasetSpec) => unknown, RegExp]> = [
      [
        'remote',
        (s) => ({ ...s, schema: { ...s.schema, properties: { id: { $ref: remoteRef } } } }),
        /only local references/,
      ],
      ['moved', (s) => ({ ...s, schema: { ...s.schema, $id: remoteRef } }), /schema\.\$id: is not allowed/],
      [
        'huge',
        (s) => ({ ...s, schema: { ...s.schema, description: 'x'.repeat(300_000) } }),
        /more than the 262144 allowed/,
      ],
      ['deep', (s) => ({ ...s, schema: { ...s.schema, properties: { id: deep } } }), /nested more than 32 levels/],
      // Past what the consumer reads of a definition at all.
      ['endless', (s) => JSON.stringify({ ...s, padding: 'x'.repeat(2 * 1024 * 1024) }), /longer than 1048576 bytes/],
    ];
    for (const [name, make, why] of cases) {
      provider.definitions.set(name, make(demoDatasetSpec(name)));
      provider.files.set(`${name}-1`, { dataset: name, records: records(1, 3) });
      const view = await runJob(`bad-${name}`, name, [`${name}-1`]);
      expect(view.status).toBe('FAILED');
      expect(view.files[0].error).toEqual({ code: 'DATASET_REFUSED', message: expect.stringMatching(why) });
      expect(view.reconciliation).toMatchObject({ received: 0, inserted: 0 });
      expect(await tableExists(demoDatasetSpec(name).mapping.table)).toBe(false);
    }
    expect(await storedDatasets()).not.toEqual(expect.arrayContaining(cases.map(([n]) => n)));
    expect(provider.state.fetched).toBe(0);
  });

  it('a stored copy older than these checks is checked again by the worker before it compiles it', async () => {
    const spec = demoDatasetSpec('aged');
    serve(spec);
    provider.files.set('a1', { dataset: 'aged', records: records(1, 2) });
    provider.files.set('a2', { dataset: 'aged', records: records(3, 2) });
    expect((await runJob('aged-1', 'aged', ['a1'])).status).toBe('SUCCEEDED');
    const before = await readTable(db.config, spec.mapping.table, 'customer_id');
    // As a consumer without these checks would have stored it; this instance does not read it again for an hour.
    const stale = { ...spec, schema: { ...spec.schema, properties: { id: { $ref: `${provider.url}/s.json` } } } };
    await query(`UPDATE con_datasets SET definition = '${JSON.stringify(stale)}' WHERE name = 'aged'`);
    const view = await runJob('aged-2', 'aged', ['a2']);
    expect(view.files[0].error).toEqual({
      code: 'DATASET_REFUSED',
      message: expect.stringMatching(/record schema is not one this consumer compiles.*only local references/),
    });
    expect(await readTable(db.config, spec.mapping.table, 'customer_id')).toEqual(before);
    expect(provider.state.fetched).toBe(0);
  });

  it('a scheduler answering 503 gets each report twice, then it is DEAD until an operator retries it', async () => {
    const admin = devToken(Audience.consumer, [Scope.adminRead, Scope.adminWrite], 'ferry-admin');
    const deliveries = (status = 'DEAD', token = admin) =>
      call('GET', `${api}/callback-deliveries?status=${status}`, { token });
    const heard = () => scheduler.callbacks.filter((c) => c.taskRunId === 'cb');
    serve(demoDatasetSpec('calls'));
    provider.files.set('c1', { dataset: 'calls', records: records(1, 3) });
    scheduler.setDown(true);
    let jobId: string;
    let dead: any;
    try {
      const accepted = await post(job('cb', 'calls', ['c1']), 'k-cb');
      expect(accepted.status).toBe(202);
      jobId = accepted.body.jobId;
      // Every report of the job is given up: none is left pending, the last one says SUCCEEDED.
      dead = await eventually(
        async () => {
          if ((await deliveries('PENDING')).body.items.length) return undefined;
          const items = (await deliveries()).body.items as any[];
          return items.find((d) => d.jobId === jobId && d.reportStatus === 'SUCCEEDED');
        },
        20_000,
        'the SUCCEEDED report to be given up',
      );
    } finally {
      scheduler.setDown(false);
    }
    expect(dead).toEqual({
      id: expect.any(String),
      jobId,
      dispatchId: 'd-cb',
      reportStatus: 'SUCCEEDED',
      callbackUrl: scheduler.callbackUrl('cb'),
      ...givenUpAfterTwo,
    });
    // Not lost: what the scheduler's poll reads says the same.
    expect((await call('GET', `${api}/sync-jobs/${jobId}`, { token: syncToken })).body.status).toBe('SUCCEEDED');
    // Given up: a scheduler that answers again hears nothing by itself.
    await quietWhile();
    expect(heard()).toEqual([]);

    // The scheduler's own client (sync:read, sync:write) may neither list nor retry, nor may a reader.
    const before = (await deliveries()).body;
    const retry = `${api}/callback-deliveries/${dead.id}/retry`;
    expectRefused(await deliveries('DEAD', syncToken), 403, 'FORBIDDEN');
    expectRefused(await call('POST', retry, { token: syncToken }), 403, 'FORBIDDEN');
    const reader = devToken(Audience.consumer, [Scope.adminRead], 'ferry-admin');
    expectRefused(await call('POST', retry, { token: reader }), 403, 'FORBIDDEN');
    expect((await deliveries()).body).toEqual(before);
    expect(heard()).toEqual([]);

    // An operator's retry: PENDING with a fresh budget, then delivered and no longer listed.
    const retried = await call('POST', retry, { token: admin });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: dead.id, status: 'PENDING', attempts: 0, deadAt: null });
    const delivered = await scheduler.waitFor(() => heard()[0]);
    expect(delivered.body).toMatchObject({ jobId, status: 'SUCCEEDED', reconciliation: { received: 3 } });
    await eventually(async () => !(await deliveries()).body.items.some((d: any) => d.id === dead.id));
    expect(heard()).toHaveLength(1);
    expectRefused(await call('POST', retry, { token: admin }), 409, 'CONFLICT');
    expectRefused(await call('POST', `${api}/callback-deliveries/nope/retry`, { token: admin }), 404, 'NOT_FOUND');
    expectRefused(await deliveries('DELIVERED'), 422, 'VALIDATION_FAILED');
  });
});

describe('provider bounds: dataset definitions and announcements (SQLite)', () => {
  let db: TestDatabase;
  let scheduler: FakeScheduler;
  let provider: RunningApp;
  const logLines: string[] = [];
  const token = devToken(Audience.provider, [Scope.dataWrite, Scope.dataRead], 'upstream-dev');
  const define = (body: unknown) => call('POST', `${provider.url}/api/v1/datasets`, { token, body });
  const get = (name: string) => call('GET', `${provider.url}/api/v1/datasets/${name}`, { token });

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    scheduler = await startFakeScheduler();
    const logs = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    provider = await startProvider(
      testProviderConfig(db.config, scheduler.url, {
        FERRY_PROVIDER_ANNOUNCE_MAX_ATTEMPTS: '2',
        FERRY_PROVIDER_LOG: 'true',
      }),
      { logDestination: logs },
    );
  });
  afterAll(async () => {
    await provider?.close();
    await scheduler?.close();
    await db?.drop();
  });

  it('refuses a record schema a consumer would refuse with 422, and stores nothing', async () => {
    const spec = demoDatasetSpec('remote');
    const res = await define({ ...spec, schema: { ...spec.schema, $ref: 'http://attacker.example/s.json' } });
    expectRefused(res, 422, 'VALIDATION_FAILED');
    expect(res.body.error.details).toEqual([{ path: 'schema.$ref', problem: expect.stringMatching(/only local/) }]);
    expect((await get('remote')).status).toBe(404);
  });

  it("refuses a dataset mapped onto another dataset's table with 409, and changes neither", async () => {
    const owner = demoDatasetSpec('owner');
    expect((await define(owner)).status).toBe(201);
    const stored = (await get('owner')).body;
    const intruder = demoDatasetSpec('intruder');
    const res = await define({ ...intruder, mapping: { ...intruder.mapping, table: owner.mapping.table } });
    expect(expectRefused(res, 409, 'CONFLICT')).toMatch(/t_owner is dataset owner's/);
    expect((await get('intruder')).status).toBe(404);
    expect((await get('owner')).body).toEqual(stored);
    // Its own table again, and another dataset on a table of its own: both fine.
    expect((await define(owner)).status).toBe(200);
    expect((await define(intruder)).status).toBe(201);
  });

  it('a scheduler answering 503 gets a trigger twice, then it is DEAD, logged, and retried by operators', async () => {
    const admin = devToken(Audience.provider, [Scope.adminRead, Scope.adminWrite], 'ferry-admin');
    const announcements = (status = 'DEAD', as = admin) =>
      call('GET', `${provider.url}/api/v1/announcements?status=${status}`, { token: as });
    expect((await define(demoDatasetSpec('sales'))).status).toBe(201);
    const file = { fileId: 'sales-1', mode: 'snapshot', records: records(1, 2) };
    scheduler.setDown(true);
    let published: JsonResponse;
    let dead: any;
    try {
      published = await call('POST', `${provider.url}/api/v1/datasets/sales/files`, { token, body: file });
      expect(published.status).toBe(201);
      dead = await eventually(
        async () => (await announcements()).body.items.find((a: any) => a.fileId === 'sales-1'),
        20_000,
        'the announcement to be given up',
      );
    } finally {
      scheduler.setDown(false);
    }
    expect(dead).toEqual({
      id: expect.any(String),
      messageId: 'file-sales-1',
      dataset: 'sales',
      fileId: 'sales-1',
      url: `${scheduler.url}/api/v1/triggers`,
      ...givenUpAfterTwo,
    });
    expect(scheduler.refused).toBe(2);
    // One error line names the file and where to retry it, not what the trigger holds.
    const errors = logLines.map((l) => JSON.parse(l)).filter((l) => l.level === 'error' || l.level >= 50);
    expect(errors).toEqual([
      expect.objectContaining({
        msg: expect.stringContaining('announcement of file sales-1 (dataset sales) given up'),
      }),
    ]);
    expect(JSON.stringify(errors)).not.toContain(published.body.checksum);
    await quietWhile();
    expect(scheduler.triggers).toEqual([]);

    // An upstream (data scopes) may neither list nor retry, nor may an admin of another app.
    const retry = `${provider.url}/api/v1/announcements/${dead.id}/retry`;
    const before = (await announcements()).body;
    expectRefused(await announcements('DEAD', token), 403, 'FORBIDDEN');
    expectRefused(await call('POST', retry, { token }), 403, 'FORBIDDEN');
    const elsewhere = devToken(Audience.scheduler, [Scope.adminRead, Scope.adminWrite], 'ferry-admin');
    expectRefused(await call('POST', retry, { token: elsewhere }), 401, 'UNAUTHENTICATED');
    expect((await announcements()).body).toEqual(before);
    expect(scheduler.triggers).toEqual([]);

    const retried = await call('POST', retry, { token: admin });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: dead.id, status: 'PENDING', attempts: 0 });
    const trigger = await scheduler.waitFor(() => scheduler.triggers[0]);
    expect(trigger).toMatchObject({ messageId: 'file-sales-1', files: [{ fileId: 'sales-1', dataset: 'sales' }] });
    await eventually(async () => (await announcements()).body.items.length === 0);
    expectRefused(await call('POST', retry, { token: admin }), 409, 'CONFLICT');
    expectRefused(await announcements('DELIVERED'), 422, 'VALIDATION_FAILED');
  });
});

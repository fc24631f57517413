import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Audience, Scope } from '#ferry/contracts';
import { demoDatasetSpec, demoInvalidRecord, demoRecord } from '#ferry/datasets';
import {
  call,
  createTestDatabase,
  devToken,
  FakeDownstream,
  type FakeScheduler,
  startFakeScheduler,
  type TestDatabase,
} from '#ferry/testing';
import { type RunningApp as Consumer, startConsumer } from '../../apps/consumer/src/start.js';
import { type RunningApp as Provider, startProvider } from '../../apps/provider/src/start.js';
import { testConsumerConfig, testProviderConfig } from '../support/apps.js';
import { ensureBuilt } from '../support/build.js';
import {
  answerChecker,
  compileGeneratedClient,
  fetchDocument,
  type OpenApiDoc,
  schemaCompiler,
  validateDocument,
} from '../support/openapi.js';
import { CLIENT_USAGE } from '../support/openapi-usage.js';
import {
  callbackToken,
  definitionBody,
  type SchedulerUnderTest,
  startTestScheduler,
  triggerBody,
  triggerToken,
  waitForGroup,
} from '../support/scheduler.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const operations = (doc: OpenApiDoc) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => (item as Record<string, unknown>)[m]).map((m) => ({
      path,
      method: m,
      op: (item as Record<string, any>)[m],
    })),
  );

jest.setTimeout(60_000);

describe('OpenAPI documents (SQLite)', () => {
  let scheduler: SchedulerUnderTest;
  let downstream: FakeDownstream;
  let fakeScheduler: FakeScheduler;
  let provider: Provider;
  let consumer: Consumer;
  const dbs: TestDatabase[] = [];
  const docs: Record<'scheduler' | 'consumer' | 'provider', OpenApiDoc> = {} as never;

  beforeAll(async () => {
    await ensureBuilt(); // the consumer's file workers run compiled JS
    downstream = await new FakeDownstream().start();
    scheduler = await startTestScheduler('sqlite');
    fakeScheduler = await startFakeScheduler();
    dbs.push(await createTestDatabase('sqlite'), await createTestDatabase('sqlite'));
    provider = await startProvider(testProviderConfig(dbs[0].config, fakeScheduler.url));
    consumer = await startConsumer(testConsumerConfig(dbs[1].config, provider.url));
    docs.scheduler = await fetchDocument(
      scheduler.handle.url,
      devToken(Audience.scheduler, [Scope.adminRead], 'ferry-admin'),
    );
    docs.consumer = await fetchDocument(consumer.url, devToken(Audience.consumer, [Scope.syncRead], 'ferry-scheduler'));
    docs.provider = await fetchDocument(provider.url, devToken(Audience.provider, [Scope.dataRead]));
  }, 120_000);

  afterAll(async () => {
    await consumer?.close();
    await provider?.close();
    await fakeScheduler?.close();
    await scheduler?.close();
    await downstream?.close();
    for (const db of dbs) await db.drop();
  });

  it.each(['scheduler', 'consumer', 'provider'] as const)(
    "the %s's document is valid OpenAPI 3.1 and its schemas valid JSON Schema 2020-12",
    async (app) => {
      const doc = docs[app];
      expect(doc.openapi).toBe('3.1.0');
      await expect(validateDocument(doc)).resolves.toBeUndefined();
      const compile = schemaCompiler(doc); // strict: an unknown keyword or format throws
      for (const name of Object.keys(doc.components.schemas)) compile({ $ref: `#/components/schemas/${name}` });
      for (const { op } of operations(doc)) for (const p of op.parameters ?? []) compile(p.schema);
    },
  );

  it.each(['scheduler', 'consumer', 'provider'] as const)(
    'every operation of the %s describes its body, parameters, typed answers and errors',
    (app) => {
      const doc = docs[app];
      const ops = operations(doc);
      expect(ops.length).toBeGreaterThan(app === 'scheduler' ? 22 : 3);
      for (const { path, method, op } of ops) {
        const where = `${method} ${path}`;
        const statuses = Object.keys(op.responses);
        const successes = statuses.filter((s) => s.startsWith('2'));
        expect([where, successes.length > 0]).toEqual([where, true]);
        for (const s of statuses) {
          const schema = op.responses[s].content?.['application/json']?.schema;
          expect([where, s, schema?.$ref]).toEqual([
            where,
            s,
            s === '204'
              ? undefined
              : s.startsWith('2')
                ? expect.stringMatching(/^#\/components\/schemas\//)
                : '#/components/schemas/ErrorBody',
          ]);
        }
        for (const s of ['401', '403', '429', '500', '503'])
          expect([where, statuses]).toEqual([where, expect.arrayContaining([s])]);
        for (const name of path.match(/\{(\w+)\}/g) ?? [])
          expect([
            where,
            op.parameters.some((p: { in: string; name: string }) => p.in === 'path' && `{${p.name}}` === name),
          ]).toEqual([where, true]);
        if (op.requestBody) {
          expect([where, op.requestBody.content['application/json'].schema.$ref]).toEqual([
            where,
            expect.stringMatching(/^#\/components\/schemas\//),
          ]);
          expect([where, statuses]).toEqual([where, expect.arrayContaining(['400', '413', '415', '422'])]);
        }
      }
      expect(docs.scheduler.paths['/api/v1/definitions'].post.requestBody.required).toBe(true);
    },
  );

  it('a typed client generated by openapi-typescript compiles with code that uses it', async () => {
    expect(await compileGeneratedClient(docs, CLIENT_USAGE)).toEqual([]);
  }, 60_000);

  it("the scheduler's real answers match the schemas its document declares for them", async () => {
    const { check, checked } = answerChecker(docs.scheduler);
    const api = (method: string, template: string, path: string, body?: unknown, token?: string) =>
      scheduler.api(method, path, body, token).then((res) => (check(method, template, res), res));

    const def = await api('POST', '/api/v1/definitions', '/definitions', definitionBody('docs', [downstream.url]));
    expect(def.status).toBe(201);
    const id = def.body.id as string;
    const trigger = triggerBody('docs', 2);
    const posted = await api('POST', '/api/v1/triggers', '/triggers', trigger, triggerToken());
    expect(posted.status).toBe(202);
    expect((await api('POST', '/api/v1/triggers', '/triggers', trigger, triggerToken())).status).toBe(200);
    const groupId = posted.body.groupRuns[0].id as string;
    await waitForGroup(scheduler, groupId, 'SUCCEEDED');
    const group = await api('GET', '/api/v1/group-runs/{id}', `/group-runs/${groupId}`);
    expect(group.body.tasks[0].reconciliation).not.toBeNull();
    const taskId = group.body.tasks[0].id as string;
    await api('GET', '/api/v1/task-runs/{id}', `/task-runs/${taskId}`);
    const late = { dispatchId: group.body.tasks[0].dispatchId, status: 'RUNNING', progress: { processed: 1 } };
    const report = await api(
      'POST',
      '/api/v1/callbacks/tasks/{taskRunId}',
      `/callbacks/tasks/${taskId}`,
      late,
      callbackToken(),
    );
    expect(report.body.applied).toBe(false);

    const manual = await api('POST', '/api/v1/definitions/{id}/runs', '/definitions/docs/runs', {});
    expect(manual.status).toBe(202);
    // Unchecked before: a body that is not of the schema failed inside the run's planning.
    expect((await api('POST', '/api/v1/definitions/{id}/runs', '/definitions/docs/runs', { files: 'x' })).status).toBe(
      422,
    );
    await api('POST', '/api/v1/group-runs/{id}/cancel', `/group-runs/${manual.body.id}/cancel`);
    await api('POST', '/api/v1/task-runs/{id}/retry', `/task-runs/${taskId}/retry`);

    await api('GET', '/api/v1/definitions', '/definitions');
    await api('GET', '/api/v1/definitions/{id}', `/definitions/${id}`);
    const paused = await api('POST', '/api/v1/definitions/{id}/pause', `/definitions/${id}/pause`);
    await api('POST', '/api/v1/definitions/{id}/resume', `/definitions/${id}/resume`);
    await api('PUT', '/api/v1/definitions/{id}', `/definitions/${id}`, {
      ...definitionBody('docs', [downstream.url]),
      version: paused.body.version + 1,
    });
    for (const [template, path] of [
      ['/api/v1/group-runs', '/group-runs?limit=2&definition=docs&from=2020-01-01'],
      ['/api/v1/triggers', '/triggers'],
      ['/api/v1/stats', '/stats'],
      ['/api/v1/targets', '/targets'],
      ['/api/v1/auth-profiles', '/auth-profiles'],
    ])
      await api('GET', template, path);

    const profile = {
      name: 'docs',
      issuer: 'ferry',
      audience: 'ferry-consumer',
      scopes: ['sync:write'],
      alg: 'HS256',
      secret: 'a-secret-of-sixteen+',
    };
    expect((await api('POST', '/api/v1/auth-profiles', '/auth-profiles', profile)).status).toBe(201);
    await api('GET', '/api/v1/auth-profiles/{name}', '/auth-profiles/docs');
    await api('PUT', '/api/v1/auth-profiles/{name}', '/auth-profiles/docs', { ...profile, ttlSeconds: 60 });

    // Issue 14: calendars, the schedule preview, a definition's schedule.
    const calendar = { name: 'docs', holidays: ['2026-12-25'], exclusions: [{ from: '23:00', to: '01:00' }] };
    expect((await api('PUT', '/api/v1/calendars/{name}', '/calendars/docs', calendar)).status).toBe(201);
    await api('PUT', '/api/v1/calendars/{name}', '/calendars/docs', { ...calendar, businessDays: [1, 2], version: 1 });
    await api('GET', '/api/v1/calendars', '/calendars');
    await api('GET', '/api/v1/calendars/{name}', '/calendars/docs');
    const preview = { schedule: { cron: '0 30 1 * * *', timeZone: 'Europe/London', calendar: 'docs' }, count: 3 };
    expect((await api('POST', '/api/v1/schedules/preview', '/schedules/preview', preview)).body.fires).toHaveLength(3);
    expect((await api('DELETE', '/api/v1/calendars/{name}', '/calendars/docs')).status).toBe(204);
    const timed = definitionBody('docs-timed', [downstream.url], { bindings: [], schedule: { everySeconds: 86_400 } });
    expect((await api('POST', '/api/v1/definitions', '/definitions', timed)).status).toBe(201);
    await api('GET', '/api/v1/definitions/{id}/schedule', '/definitions/docs-timed/schedule');
    await api('POST', '/api/v1/definitions/{id}/schedule/pause', '/definitions/docs-timed/schedule/pause');
    await api('POST', '/api/v1/definitions/{id}/schedule/resume', '/definitions/docs-timed/schedule/resume');

    // An unmatched trigger raises an alert, so the alert list and its acknowledgement have something to show.
    const unmatched = await api(
      'POST',
      '/api/v1/triggers',
      '/triggers',
      { messageId: 'nobody', source: 'x', event: 'y' },
      triggerToken(),
    );
    const alerts = await api('GET', '/api/v1/alerts', '/alerts?status=OPEN');
    expect(alerts.body.items.length).toBeGreaterThan(0);
    const alertId = alerts.body.items[0].id as string;
    await api('POST', '/api/v1/alerts/{id}/ack', `/alerts/${alertId}/ack`);

    // Issue 13's additions: task-run lists, operator moves, definition archive and versions, alert comments.
    await api('GET', '/api/v1/task-runs', '/task-runs?limit=2&definition=docs&businessDate=2026-11-24');
    await api('GET', '/api/v1/group-runs/{id}/tasks', `/group-runs/${groupId}/tasks?limit=1`);
    await api('POST', '/api/v1/task-runs/{id}/mark-succeeded', `/task-runs/${taskId}/mark-succeeded`, { reason: 'r' });
    const rerun = await api('POST', '/api/v1/group-runs/{id}/rerun', `/group-runs/${manual.body.id}/rerun`, {
      from: 'start',
    });
    expect(rerun.status).toBe(200);
    const replay = await api('POST', '/api/v1/triggers/{id}/replay', `/triggers/${unmatched.body.triggerId}/replay`);
    expect(replay.status).toBe(409);
    await api('POST', '/api/v1/alerts/{id}/silence', `/alerts/${alertId}/silence`, { minutes: 5, comment: 'c' });
    expect((await api('POST', '/api/v1/alerts/{id}/unack', `/alerts/${alertId}/unack`, { comment: 'c' })).status).toBe(
      200,
    );
    await api('POST', '/api/v1/definitions/{id}/archive', `/definitions/${id}/archive`);
    await api('POST', '/api/v1/definitions/{id}/unarchive', `/definitions/${id}/unarchive`);
    await api('GET', '/api/v1/definitions/{id}/versions', `/definitions/${id}/versions`);
    await api('GET', '/api/v1/definitions/{id}/versions/{n}', `/definitions/${id}/versions/1`);
    await api('GET', '/api/v1/definitions/{id}/dependencies', `/definitions/${id}/dependencies`);
    const diff = await api('GET', '/api/v1/definitions/{id}/diff', `/definitions/${id}/diff?from=1&to=2`);
    expect(diff.status).toBe(200);
    await api('GET', '/api/v1/alert-deliveries', '/alert-deliveries');
    await api('GET', '/api/v1/triggers/{id}', `/triggers/${posted.body.triggerId}`);

    // Errors, in the contract's shape and declared where they happen.
    expect((await api('POST', '/api/v1/triggers', '/triggers', { source: 'x' }, triggerToken())).status).toBe(422);
    expect((await api('GET', '/api/v1/group-runs/{id}', '/group-runs/nope')).status).toBe(404);
    expect((await api('POST', '/api/v1/group-runs/{id}/cancel', `/group-runs/${groupId}/cancel`)).status).toBe(409);
    expect((await api('GET', '/api/v1/alerts', '/alerts?status=NOPE')).status).toBe(422);
    const retry = await api('POST', '/api/v1/alert-deliveries/{id}/retry', '/alert-deliveries/nope/retry');
    expect(retry.status).toBe(404);
    expect((await api('GET', '/api/v1/stats', '/stats', undefined, triggerToken())).status).toBe(403);

    // The portal: users (admin:write), the audit log, and a session's login, read and logout with its cookie.
    const user = { username: 'docs-admin', role: 'admin', password: 'a-long-enough-password' };
    expect((await api('POST', '/api/v1/users', '/users', user)).status).toBe(201);
    await api('PUT', '/api/v1/users/{username}', '/users/docs-admin', { role: 'admin' });
    await api('GET', '/api/v1/users', '/users');
    await api('GET', '/api/v1/audit', '/audit?objectType=definition&limit=5');
    const viaCookie = async (method: string, cookie?: string, csrf?: string, body?: unknown) => {
      const headers: Record<string, string> = {
        ...(cookie ? { cookie } : {}),
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
      };
      const res = await call(method, `${scheduler.handle.url}/api/v1/session`, { body, headers });
      check(method, '/api/v1/session', res);
      return res;
    };
    const login = await viaCookie('POST', undefined, undefined, { username: user.username, password: user.password });
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    await viaCookie('GET', cookie);
    expect((await viaCookie('DELETE', cookie, login.body.csrfToken)).status).toBe(204);

    const answered = new Set([...checked].map((c) => c.split(' ').slice(0, 2).join(' ')));
    const missing = operations(docs.scheduler).filter((o) => !answered.has(`${o.method.toUpperCase()} ${o.path}`));
    expect(missing.map((o) => `${o.method} ${o.path}`)).toEqual([]);
  });

  it("the provider's and the consumer's real answers match the schemas their documents declare", async () => {
    const checkProvider = answerChecker(docs.provider).check;
    const checkConsumer = answerChecker(docs.consumer).check;
    const write = devToken(Audience.provider, [Scope.dataWrite, Scope.dataRead]);
    const atProvider = async (method: string, template: string, path: string, body?: unknown) => {
      const res = await call(method, `${provider.url}${path}`, { token: write, body });
      checkProvider(method, template, res);
      return res;
    };
    const spec = demoDatasetSpec('people');
    expect((await atProvider('POST', '/api/v1/datasets', '/api/v1/datasets', spec)).status).toBe(201);
    expect((await atProvider('POST', '/api/v1/datasets', '/api/v1/datasets', spec)).status).toBe(200);
    await atProvider('GET', '/api/v1/datasets/{dataset}', '/api/v1/datasets/people');
    const records = [demoRecord(1), demoInvalidRecord(2), demoRecord(3)];
    const file = { fileId: 'f-1', mode: 'snapshot', records };
    expect(
      (await atProvider('POST', '/api/v1/datasets/{dataset}/files', '/api/v1/datasets/people/files', file)).status,
    ).toBe(201);
    const manifest = await atProvider(
      'GET',
      '/api/v1/datasets/{dataset}/files/{fileId}',
      '/api/v1/datasets/people/files/f-1',
    );
    await atProvider(
      'GET',
      '/api/v1/datasets/{dataset}/files/{fileId}/records',
      '/api/v1/datasets/people/files/f-1/records?limit=2',
    );
    expect(
      (await atProvider('GET', '/api/v1/datasets/{dataset}/files/{fileId}', '/api/v1/datasets/people/files/none'))
        .status,
    ).toBe(404);
    expect((await atProvider('POST', '/api/v1/datasets', '/api/v1/datasets', { ...spec, key: [] })).status).toBe(422);
    // The provider validates a published file with its own copy of the schema: each body the document's
    // schema refuses, the provider refuses too.
    const documented = schemaCompiler(docs.provider)({ $ref: '#/components/schemas/PublishFileRequest' });
    const files = '/api/v1/datasets/people/files';
    for (const bad of [
      { records },
      { mode: 'snapshot', records, fileId: 'no spaces' },
      { mode: 'snapshot', records, businessDate: '24.11.2026' },
      { mode: 'sometimes', records },
      { mode: 'snapshot', records, extra: true },
      { mode: 'snapshot', records: [1] },
    ]) {
      expect([bad, documented(bad)]).toEqual([bad, false]);
      expect([bad, (await atProvider('POST', '/api/v1/datasets/{dataset}/files', files, bad)).status]).toEqual([
        bad,
        422,
      ]);
    }

    const sync = devToken(Audience.consumer, [Scope.syncWrite, Scope.syncRead], 'ferry-scheduler');
    const atConsumer = async (method: string, template: string, path: string, body?: unknown, key?: string) => {
      const headers: Record<string, string> = key ? { 'idempotency-key': key } : {};
      const res = await call(method, `${consumer.url}${path}`, { token: sync, body, headers });
      checkConsumer(method, template, res);
      return res;
    };
    const job = {
      taskRunId: 't-1',
      dispatchId: 'd-1',
      callbackUrl: fakeScheduler.callbackUrl('t-1'),
      dataset: 'people',
      files: [{ name: 'f-1.ndjson', fileId: 'f-1', recordCount: 3, checksum: manifest.body.checksum }],
    };
    const accepted = await atConsumer('POST', '/api/v1/sync-jobs', '/api/v1/sync-jobs', job, 'k-1');
    expect(accepted.status).toBe(202);
    const jobPath = `/api/v1/sync-jobs/${accepted.body.jobId}`;
    await fakeScheduler.waitFor(() => fakeScheduler.callbacks.find((c) => c.body.status === 'SUCCEEDED'));
    expect((await atConsumer('GET', '/api/v1/sync-jobs/{jobId}', jobPath)).body.status).toBe('SUCCEEDED');
    const rejected = await atConsumer('GET', '/api/v1/sync-jobs/{jobId}/rejected', `${jobPath}/rejected`);
    expect(rejected.body.items).toHaveLength(1);
    expect((await atConsumer('POST', '/api/v1/sync-jobs/{jobId}/cancel', `${jobPath}/cancel`)).status).toBe(409);
    expect((await atConsumer('GET', '/api/v1/sync-jobs/{jobId}', '/api/v1/sync-jobs/none')).status).toBe(404);
    expect((await atConsumer('POST', '/api/v1/sync-jobs', '/api/v1/sync-jobs', job)).status).toBe(422);

    // The operators' routes of each outbox (admin scopes): a page, and a retry of nothing.
    for (const [check, url, route, audience] of [
      [checkConsumer, consumer.url, '/api/v1/callback-deliveries', Audience.consumer],
      [checkProvider, provider.url, '/api/v1/announcements', Audience.provider],
    ] as const) {
      const token = devToken(audience, [Scope.adminRead, Scope.adminWrite], 'ferry-admin');
      const page = await call('GET', `${url}${route}?status=PENDING`, { token });
      check('GET', route, page);
      expect(page.status).toBe(200);
      const retry = await call('POST', `${url}${route}/nope/retry`, { token });
      check('POST', `${route}/{id}/retry`, retry);
      expect(retry.status).toBe(404);
    }
  });
});

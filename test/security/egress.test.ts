import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Audience, Scope } from '#ferry/contracts';
import { Db } from '#ferry/persistence';
import {
  call,
  createTestDatabase,
  DEV_SECRET,
  devToken,
  type FakeScheduler,
  startFakeScheduler,
  type TestDatabase,
  WebhookReceiver,
} from '#ferry/testing';
import { type RunningApp, startConsumer } from '../../apps/consumer/src/start.js';
import { LogChannel } from '../../apps/scheduler/src/index.js';
import { readTable, testConsumerConfig } from '../support/apps.js';
import { ensureBuilt } from '../support/build.js';
import {
  definitionBody,
  eventually,
  fakeDownstreams,
  type SchedulerUnderTest,
  startTestScheduler,
  triggerBody,
  triggerToken,
  waitForGroup,
} from '../support/scheduler.js';
import { productionSchedulerEnv, refusal, STRONG_SECRET } from '../support/security.js';

// Finding 4: egress is guarded. Targets, webhooks, callbacks and the provider are called only on addresses the
// egress guard lets out; the consumer reports only to its scheduler origins; an auth profile's token goes only to
// the origins the profile names.
//
// The schedulers here stay in development mode (its clients and secret sign the test's calls, and the fake
// downstreams verify the development secret) and set FERRY_EGRESS_ALLOW, which replaces development mode's
// default (loopback): `none` is what a production scheduler without an allow-list does with these addresses.

const once = { retry: { maxAttempts: 1, initialDelaySeconds: 0.1, factor: 2, maxDelaySeconds: 1 } };

/** Defines `name` on `urls`, posts one trigger for it and answers the group run once it is `status`. */
async function runOnce(s: SchedulerUnderTest, name: string, url: string, status: string, overrides = {}) {
  const defined = await s.api('POST', '/definitions', definitionBody(name, [url], { ...once, ...overrides }));
  expect(defined.status).toBe(201);
  const posted = await s.api('POST', '/triggers', triggerBody(name, 1), triggerToken());
  expect(posted.status).toBe(202);
  return waitForGroup(s, posted.body.groupRuns[0].id as string, status);
}

describe('a scheduler whose egress allow-list leaves loopback out', () => {
  let s: SchedulerUnderTest;
  let hooks: WebhookReceiver;
  const fakes = fakeDownstreams();
  const logLines: string[] = [];

  beforeAll(async () => {
    hooks = await new WebhookReceiver().start();
    s = await startTestScheduler(
      'sqlite',
      { FERRY_EGRESS_ALLOW: 'none', FERRY_ALERT_POLL_MS: '50' },
      { overrides: { alertChannels: { 'alert.log': new LogChannel((line) => logLines.push(line)) } } },
    );
  });
  afterAll(async () => {
    await s?.close();
    await Promise.all([hooks?.close(), fakes.closeAll()]);
  });

  it('does not dispatch to 127.0.0.1, to localhost or to 169.254.169.254: the attempt fails, saying why', async () => {
    const fake = await fakes.start();
    const port = new URL(fake.url).port;
    const targets = {
      literal: { url: fake.url, host: '127.0.0.1', kind: 'a loopback address' },
      name: { url: `http://localhost:${port}`, host: 'localhost', kind: 'it resolves only to loopback addresses' },
      metadata: { url: 'http://169.254.169.254', host: '169.254.169.254', kind: 'a link-local address' },
    };
    const runs = await Promise.all(
      Object.entries(targets).map(([name, t]) => runOnce(s, `egress-${name}`, t.url, 'FAILED')),
    );
    for (const [i, t] of Object.values(targets).entries()) {
      const error = runs[i].tasks[0].lastError;
      expect(error.code).toBe('EGRESS_REFUSED');
      expect(error.message).toBe(
        `The egress guard refused ${t.host}: ${t.kind}, not called unless FERRY_EGRESS_ALLOW opens ` +
          (t.host === 'localhost' ? 'them' : 'it'),
      );
    }
    expect(fake.requests).toEqual([]);
    expect(fake.starts).toEqual([]);
  });

  it('does not call a webhook alert channel on a denied address; the delivery fails with the reason', async () => {
    const fake = await fakes.start();
    const channels = [
      { type: 'log' },
      { type: 'webhook', url: `${hooks.url}/loopback` },
      { type: 'webhook', url: 'http://169.254.169.254/latest/meta-data/', format: 'slack' },
    ];
    const failed = await runOnce(s, 'egress-alerts', fake.url, 'FAILED', { alerts: { channels } });
    await eventually(async () => logLines.some((l) => l.includes(failed.id)), 10_000, 'the log channel');
    const db = s.handle.app.get(Db);
    const webhookRows = () =>
      db.dataSource.query("SELECT url, attempts, last_error FROM alert_outbox WHERE kind LIKE 'alert.webhook%'");
    const rows = await eventually(
      async () => {
        const r = (await webhookRows()) as Array<{ url: string; attempts: number; last_error: string | null }>;
        return r.length === 2 && r.every((row) => Number(row.attempts) >= 1) ? r : undefined;
      },
      10_000,
      'both webhook deliveries tried',
    );
    expect(rows.map((r) => r.last_error).sort()).toEqual([
      expect.stringMatching(/^The egress guard refused 127\.0\.0\.1: a loopback address/),
      expect.stringMatching(/^The egress guard refused 169\.254\.169\.254: a link-local address/),
    ]);
    expect(hooks.received).toEqual([]);
  });
});

describe('a scheduler whose egress allow-list opens the target', () => {
  let s: SchedulerUnderTest;
  const fakes = fakeDownstreams();
  const profile = (name: string, origins: string[]) => ({
    name,
    issuer: 'ferry-scheduler',
    audience: Audience.consumer,
    scopes: [Scope.syncWrite, Scope.syncRead],
    alg: 'HS256',
    secret: DEV_SECRET,
    origins,
  });
  const definitions = async () => (await s.api('GET', '/definitions?limit=500')).body.items.length as number;

  beforeAll(async () => {
    s = await startTestScheduler('sqlite', { FERRY_EGRESS_ALLOW: '127.0.0.1/32' });
  });
  afterAll(async () => {
    await s?.close();
    await fakes.closeAll();
  });

  it('dispatches to the allowed address', async () => {
    const fake = await fakes.start();
    await runOnce(s, 'egress-allowed', fake.url, 'SUCCEEDED');
    expect(fake.starts).toHaveLength(1);
  });

  it("refuses at save a definition whose targets are outside its profile's origins, naming the field", async () => {
    const [own, other] = [await fakes.start(), await fakes.start()];
    expect((await s.api('POST', '/auth-profiles', profile('ledger', [own.url]))).status).toBe(201);
    const before = await definitions();
    const target = { urls: [own.url, other.url], authProfile: 'ledger' };
    const body = definitionBody('egress-stolen', target.urls, { target });
    const { details } = refusal(await s.api('POST', '/definitions', body), 422, 'VALIDATION_FAILED');
    expect(details).toEqual([
      {
        path: 'target.urls[1]',
        problem: `auth profile "ledger" may not be sent to ${other.url}: it is not among the profile's origins`,
      },
    ]);
    expect(await definitions()).toBe(before);

    // Under its origins the profile signs the dispatch.
    const ok = await runOnce(s, 'egress-ledger', own.url, 'SUCCEEDED', {
      target: { urls: [own.url], authProfile: 'ledger' },
    });
    expect(own.startsFor(ok.tasks[0].id)).toHaveLength(1);
    expect(other.requests).toEqual([]);
  });

  it("sends no token to a target a profile edited after the definition's save no longer names", async () => {
    const fake = await fakes.start();
    expect((await s.api('POST', '/auth-profiles', profile('moved', [fake.url]))).status).toBe(201);
    const body = definitionBody('egress-moved', [fake.url], {
      ...once,
      target: { urls: [fake.url], authProfile: 'moved' },
    });
    expect((await s.api('POST', '/definitions', body)).status).toBe(201);
    const edited = await s.api('PUT', '/auth-profiles/moved', profile('moved', ['https://ledger.example.com']));
    expect(edited.status).toBe(200);

    const posted = await s.api('POST', '/triggers', triggerBody('egress-moved', 1), triggerToken());
    const failed = await waitForGroup(s, posted.body.groupRuns[0].id as string, 'FAILED');
    expect(failed.tasks[0].lastError).toEqual({
      code: 'AUTH_PROFILE_ORIGIN',
      message: `auth profile "moved" may not be sent to ${fake.url}: it is not among the profile's origins`,
    });
    expect(fake.requests).toEqual([]);
  });
});

describe('a scheduler outside development mode', () => {
  let s: SchedulerUnderTest;
  const ops = () => devToken(Audience.scheduler, [Scope.adminRead, Scope.adminWrite], 'ops', STRONG_SECRET);
  const profile = (name: string, origins?: string[]) => ({
    name,
    issuer: 'ferry-scheduler',
    audience: Audience.consumer,
    scopes: [Scope.syncWrite],
    alg: 'HS256',
    secret: STRONG_SECRET,
    ...(origins ? { origins } : {}),
  });
  const withProfile = (name: string, authProfile: string) =>
    definitionBody(name, ['https://ledger.example.com'], {
      target: { urls: ['https://ledger.example.com'], authProfile },
    });

  beforeAll(async () => {
    s = await startTestScheduler('sqlite', productionSchedulerEnv());
  });
  afterAll(async () => {
    await s?.close();
  });

  it('sends the token of a profile naming no origins nowhere: a definition using it is refused at save', async () => {
    expect((await s.api('POST', '/auth-profiles', profile('anywhere'), ops())).status).toBe(201);
    expect(
      (await s.api('POST', '/auth-profiles', profile('ledger', ['https://ledger.example.com']), ops())).status,
    ).toBe(201);
    const { details } = refusal(
      await s.api('POST', '/definitions', withProfile('uses-anywhere', 'anywhere'), ops()),
      422,
      'VALIDATION_FAILED',
    );
    expect(details).toEqual([
      { path: 'target.urls[0]', problem: expect.stringMatching(/"anywhere" names no origins/) },
    ]);
    expect((await s.api('GET', '/definitions', undefined, ops())).body.items).toEqual([]);
    expect((await s.api('POST', '/definitions', withProfile('uses-ledger', 'ledger'), ops())).status).toBe(201);
  });
});

describe('a consumer configured with its scheduler origins', () => {
  let db: TestDatabase;
  let scheduler: FakeScheduler;
  let consumer: RunningApp;
  const write = devToken(Audience.consumer, [Scope.syncWrite, Scope.syncRead], 'ferry-scheduler');

  beforeAll(async () => {
    await ensureBuilt();
    db = await createTestDatabase('sqlite');
    scheduler = await startFakeScheduler();
    consumer = await startConsumer(
      testConsumerConfig(db.config, 'http://127.0.0.1:9', {
        FERRY_CONSUMER_SCHEDULER_ORIGINS: 'https://ferry.example.com',
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await consumer?.close();
    await scheduler?.close();
    await db?.drop();
  });

  it('refuses a sync job whose callbackUrl is elsewhere, 422 on callbackUrl, and stores nothing', async () => {
    const job = (callbackUrl: string) => ({
      taskRunId: 't-1',
      dispatchId: 'd-1',
      callbackUrl,
      dataset: 'customers',
      files: [{ name: 'f.ndjson', fileId: 'f', recordCount: 10 }],
    });
    for (const callbackUrl of [
      scheduler.callbackUrl('t-1'),
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://ferry.example.com/api/v1/callbacks/tasks/t-1',
      'https://ferry.example.com.evil.test/api/v1/callbacks/tasks/t-1',
    ]) {
      const res = await call('POST', `${consumer.url}/api/v1/sync-jobs`, {
        token: write,
        body: job(callbackUrl),
        headers: { 'idempotency-key': 'k-1' },
      });
      expect([callbackUrl, refusal(res, 422, 'VALIDATION_FAILED').details]).toEqual([
        callbackUrl,
        [{ path: 'callbackUrl', problem: 'is not under a scheduler origin this consumer reports to' }],
      ]);
    }
    expect(await readTable(db.config, 'con_jobs', 'job_id')).toEqual([]);
    expect(await readTable(db.config, 'con_outbox', 'seq')).toEqual([]);
    expect(scheduler.callbacks).toEqual([]);
  });
});

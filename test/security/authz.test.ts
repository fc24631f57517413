import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signToken } from '#ferry/auth';
import { Audience, Scope } from '#ferry/contracts';
import { DEV_SECRET, devToken, FakeDownstream } from '#ferry/testing';
import { definitionBody, type SchedulerUnderTest, startTestScheduler, triggerBody } from '../support/scheduler.js';
import { expectRefused } from '../support/security.js';

// Findings 1 (scopes granted by configuration), 2 (a trigger's source tied to its caller),
// 9 (token lifetime, one 401 text).

const token = (issuer: string, scopes: string[], ttlSeconds = 300) =>
  devToken(Audience.scheduler, scopes, issuer, DEV_SECRET, ttlSeconds);

describe('with the development default clients', () => {
  let s: SchedulerUnderTest;
  let fake: FakeDownstream;
  const definitions = async () => (await s.api('GET', '/definitions?limit=500')).body.items.length as number;

  beforeAll(async () => {
    fake = await new FakeDownstream().start();
    s = await startTestScheduler('sqlite');
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  it('1: an upstream, the provider or the consumer claiming admin scopes is refused 403, nothing defined', async () => {
    const before = await definitions();
    for (const issuer of ['upstream-dev', 'ferry-provider', 'ferry-consumer', 'ferry-scheduler']) {
      const forged = token(issuer, [Scope.adminRead, Scope.adminWrite, Scope.triggersWrite]);
      const body = definitionBody(`stolen-${issuer}`, [fake.url]);
      expectRefused(await s.api('POST', '/definitions', body, forged), 403, 'FORBIDDEN');
      expectRefused(await s.api('GET', '/group-runs', undefined, forged), 403, 'FORBIDDEN');
    }
    expect(await definitions()).toBe(before);
    // The administrator's own client still is one.
    expect((await s.api('POST', '/definitions', definitionBody('legit', [fake.url]))).status).toBe(201);
  });

  it('9: a token living longer than an hour is refused 401 with the one text, nothing defined', async () => {
    const before = await definitions();
    const long = token('ferry-admin', [Scope.adminRead, Scope.adminWrite], 2 * 3600);
    const text = expectRefused(
      await s.api('POST', '/definitions', definitionBody('long', [fake.url]), long),
      401,
      'UNAUTHENTICATED',
    );
    expect(await definitions()).toBe(before);

    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const privateKey = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const attempts = {
      'unknown issuer': token('stranger', [Scope.adminRead]),
      'wrong algorithm': signToken({
        issuer: 'ferry-admin',
        audience: Audience.scheduler,
        scopes: [Scope.adminRead],
        ttlSeconds: 60,
        key: { alg: 'ES256', kid: 'k', privateKey },
      }),
      'bad signature': devToken(Audience.scheduler, [Scope.adminRead], 'ferry-admin', 'not-the-secret'),
      'wrong audience': devToken(Audience.consumer, [Scope.adminRead], 'ferry-admin'),
      expired: signToken(
        {
          issuer: 'ferry-admin',
          audience: Audience.scheduler,
          scopes: [Scope.adminRead],
          ttlSeconds: 60,
          key: { alg: 'HS256', secret: DEV_SECRET },
        },
        Date.now() - 10 * 60_000,
      ),
    };
    for (const forged of Object.values(attempts)) {
      expect(expectRefused(await s.api('GET', '/definitions', undefined, forged), 401, 'UNAUTHENTICATED')).toBe(text);
    }
    expect(text).not.toMatch(/ferry-admin|stranger|HS256|ES256|issuer|alg|kid|expired at|audience/i);
  });
});

describe('with clients configured for their own sources', () => {
  let s: SchedulerUnderTest;
  let fake: FakeDownstream;
  const client = (clientId: string, scopes: string[], sources?: string[]) => ({
    clientId,
    keys: [{ alg: 'HS256', secret: DEV_SECRET }],
    scopes,
    sources,
  });
  const triggers = async () => (await s.api('GET', '/triggers?limit=500')).body.items as Array<{ messageId: string }>;
  const groupRuns = async () => (await s.api('GET', '/group-runs?definition=invoices')).body.items.length as number;
  const bound = (source: string) => ({ bindings: [{ source, event: 'invoices.ready' }] });
  const trigger = (source: string, messageId: string) => ({ ...triggerBody('invoices', 1, messageId), source });

  beforeAll(async () => {
    fake = await new FakeDownstream().start();
    s = await startTestScheduler('sqlite', {
      FERRY_MAX_TOKEN_LIFETIME_SECONDS: '600',
      FERRY_SCHEDULER_CLIENTS: JSON.stringify([
        client('ferry-admin', [Scope.adminRead, Scope.adminWrite]),
        client('billing-team', [Scope.triggersWrite], ['billing.*']),
        client('crm', [Scope.triggersWrite], ['crm']),
        client('ferry-provider', [Scope.triggersWrite], ['ferry-provider']),
      ]),
    });
    const defined = await s.api(
      'POST',
      '/definitions',
      definitionBody('invoices', [fake.url], bound('billing.invoices')),
    );
    expect(defined.status).toBe(201);
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  it("2: another team's source is refused 403 with nothing written, and cannot pre-empt the real message", async () => {
    for (const issuer of ['crm', 'ferry-provider']) {
      const res = await s.api(
        'POST',
        '/triggers',
        trigger('billing.invoices', 'm-1'),
        token(issuer, [Scope.triggersWrite]),
      );
      expect(expectRefused(res, 403, 'FORBIDDEN')).toMatch(/billing\.invoices/);
    }
    expect(await triggers()).toEqual([]);
    expect(await groupRuns()).toBe(0);
    // The owner's message with the same messageId is new, not answered as a duplicate.
    const real = await s.api(
      'POST',
      '/triggers',
      trigger('billing.invoices', 'm-1'),
      token('billing-team', [Scope.triggersWrite]),
    );
    expect({ status: real.status, duplicate: real.body.duplicate }).toEqual({ status: 202, duplicate: false });
    expect(await groupRuns()).toBe(1);
    // A prefix is not a substring: `billing.*` does not cover `billingx`, and a client posts its own source.
    const near = await s.api(
      'POST',
      '/triggers',
      trigger('billingx.invoices', 'm-2'),
      token('billing-team', [Scope.triggersWrite]),
    );
    expectRefused(near, 403, 'FORBIDDEN');
    expect((await s.api('POST', '/triggers', trigger('crm', 'm-3'), token('crm', [Scope.triggersWrite]))).status).toBe(
      202,
    );
    expect((await triggers()).map((t) => t.messageId).sort()).toEqual(['m-1', 'm-3']);
  });

  it('9: FERRY_MAX_TOKEN_LIFETIME_SECONDS bounds the lifetime accepted, nothing written', async () => {
    const long = token('crm', [Scope.triggersWrite], 900);
    expectRefused(await s.api('POST', '/triggers', trigger('crm', 'm-long'), long), 401, 'UNAUTHENTICATED');
    expect((await triggers()).map((t) => t.messageId)).not.toContain('m-long');
    const short = token('crm', [Scope.triggersWrite], 600);
    expect((await s.api('POST', '/triggers', trigger('crm', 'm-short'), short)).status).toBe(202);
  });
});

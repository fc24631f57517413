import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signToken } from '#ferry/auth';
import { Audience, Scope } from '#ferry/contracts';
import {
  createTestDatabase,
  DEV_SECRET,
  devToken,
  FakeDownstream,
  type JsonResponse,
  TcpProxy,
  TEST_DB_TYPES,
} from '#ferry/testing';
import {
  callbackToken,
  definitionBody,
  eventually,
  startTestScheduler,
  type SchedulerUnderTest,
  triggerBody,
  triggerToken,
  waitForGroup,
} from '../support/scheduler.js';

const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ecPrivate = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const dev = (clientId: string, scopes: string[], sources?: string[]) => ({
  clientId,
  keys: [{ alg: 'HS256', secret: DEV_SECRET }],
  scopes,
  sources,
});
const CLIENTS = [
  dev('ferry-consumer', [Scope.callbacksWrite]),
  dev('ferry-admin', [Scope.adminRead, Scope.adminWrite]),
  dev('upstream-dev', [Scope.triggersWrite], ['*']),
  {
    clientId: 'erp',
    keys: [{ alg: 'ES256', kid: 'ec-1', publicKey: ec.publicKey.export({ type: 'spki', format: 'pem' }) }],
    scopes: [Scope.triggersWrite],
    sources: ['billing'],
  },
];
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const erpToken = (kid: string) =>
  signToken({
    issuer: 'erp',
    audience: Audience.scheduler,
    scopes: [Scope.triggersWrite],
    ttlSeconds: 60,
    key: { alg: 'ES256', kid, privateKey: ecPrivate },
  });

/** Asserts the contract's error answer: the status and exactly {error: {code, message, details}}. */
function expectError(res: JsonResponse, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(Object.keys(res.body.error).sort()).toEqual(['code', 'details', 'message']);
  expect(res.body.error.message).toEqual(expect.stringMatching(/\w+/));
  expect(Array.isArray(res.body.error.details)).toBe(true);
  return res.body.error as { code: string; message: string; details: Array<{ path: string; problem: string }> };
}

async function raw(url: string, body: string, headers: Record<string, string>): Promise<JsonResponse> {
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

describe.each(TEST_DB_TYPES)('scheduler error table on %s', (dbType) => {
  let s: SchedulerUnderTest;
  let fake: FakeDownstream;
  let before: { triggers: Record<string, number>; groupRuns: Record<string, number> };
  const post = (body: string, contentType = 'application/json', token = triggerToken()) =>
    raw(`${s.handle.url}/api/v1/triggers`, body, { 'content-type': contentType, authorization: `Bearer ${token}` });
  const stats = async () => (await s.api('GET', '/stats')).body;

  beforeAll(async () => {
    fake = await new FakeDownstream().start();
    s = await startTestScheduler(dbType, {
      FERRY_BODY_LIMIT_BYTES: '2048',
      FERRY_SCHEDULER_CLIENTS: JSON.stringify(CLIENTS),
    });
    expect((await s.api('POST', '/definitions', definitionBody('errs', [fake.url]))).status).toBe(201);
    before = await stats();
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  it('400 MALFORMED_JSON for a body that is not JSON', async () => {
    expectError(await post('{"messageId": "m-1", '), 400, 'MALFORMED_JSON');
  });

  it('413 PAYLOAD_TOO_LARGE over FERRY_BODY_LIMIT_BYTES (a body under it passes the size check)', async () => {
    const big = { ...triggerBody('errs', 1, 'm-big'), attributes: { pad: 'x'.repeat(3000) } };
    expectError(await post(JSON.stringify(big)), 413, 'PAYLOAD_TOO_LARGE');
    const small = { ...triggerBody('errs', 1, 'm-big'), attributes: { pad: 'x'.repeat(10) }, extra: true };
    expectError(await post(JSON.stringify(small)), 422, 'VALIDATION_FAILED');
  });

  it('415 UNSUPPORTED_MEDIA_TYPE for a body that is not declared JSON', async () => {
    expectError(await post(JSON.stringify(triggerBody('errs', 1)), 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await post('<trigger/>', 'application/xml'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(
      await post(JSON.stringify(triggerBody('errs', 1)), 'application/json; charset=latin1'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it(
    '422 VALIDATION_FAILED says where: ' + 'files[0].name, files[1].recordCount, unknown fields, definition fields',
    async () => {
      const body = { ...triggerBody('errs', 2, 'm-invalid'), surprise: 1 };
      delete (body.files[0] as { name?: string }).name;
      (body.files[1] as { recordCount: number }).recordCount = -1;
      const err = expectError(await post(JSON.stringify(body)), 422, 'VALIDATION_FAILED');
      expect(err.details).toEqual(
        expect.arrayContaining([
          { path: 'files[0].name', problem: 'is required' },
          { path: 'files[1].recordCount', problem: expect.any(String) },
          { path: 'surprise', problem: 'is not allowed' },
        ]),
      );
      const missing = expectError(await post(JSON.stringify({ source: 'billing' })), 422, 'VALIDATION_FAILED');
      expect(missing.details.map((d) => d.path).sort()).toEqual(['event', 'messageId']);
      const def = expectError(
        await s.api('POST', '/definitions', { ...definitionBody('Bad Name', [fake.url]), mode: 'SOMETIMES' }),
        422,
        'VALIDATION_FAILED',
      );
      expect(def.details.map((d) => d.path)).toEqual(expect.arrayContaining(['name', 'mode']));
    },
  );

  it('401 UNAUTHENTICATED: no token, bad signature, alg none, unknown kid, expired, wrong aud, wrong iss', async () => {
    const body = JSON.stringify(triggerBody('errs', 1, 'm-auth'));
    const url = `${s.handle.url}/api/v1/triggers`;
    expectError(await raw(url, body, { 'content-type': 'application/json' }), 401, 'UNAUTHENTICATED');
    expectError(
      await raw(url, body, { 'content-type': 'application/json', authorization: 'Basic dXNlcjpwdw==' }),
      401,
      'UNAUTHENTICATED',
    );
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: 'upstream-dev',
      aud: Audience.scheduler,
      scope: Scope.triggersWrite,
      iat: now,
      exp: now + 60,
    };
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    const cases: Record<string, string> = {
      'bad signature': devToken(Audience.scheduler, [Scope.triggersWrite], 'upstream-dev', 'not-the-secret'),
      'alg none': none,
      'unknown kid': erpToken('ec-2'),
      expired: signToken(
        {
          issuer: 'upstream-dev',
          audience: Audience.scheduler,
          scopes: [Scope.triggersWrite],
          ttlSeconds: 60,
          key: { alg: 'HS256', secret: DEV_SECRET },
        },
        Date.now() - 5 * 60_000,
      ),
      'wrong aud': devToken(Audience.consumer, [Scope.triggersWrite]),
      'wrong iss': devToken(Audience.scheduler, [Scope.triggersWrite], 'stranger'),
    };
    const seen: Record<string, number> = {};
    for (const [what, token] of Object.entries(cases)) {
      const res = await post(body, 'application/json', token);
      seen[what] = res.status;
      if (res.status === 401) expectError(res, 401, 'UNAUTHENTICATED');
    }
    expect(seen).toEqual(Object.fromEntries(Object.keys(cases).map((k) => [k, 401])));
    // The same ES256 client with its known kid gets in: the refusal above was the kid.
    expect(
      (await post(JSON.stringify(triggerBody('errs', 1, 'm-erp')), 'application/json', erpToken('ec-1'))).status,
    ).toBe(202);
  });

  it('403 FORBIDDEN for a valid token without the scope', async () => {
    expectError(
      await post(JSON.stringify(triggerBody('errs', 1, 'm-403')), 'application/json', callbackToken()),
      403,
      'FORBIDDEN',
    );
    expectError(await s.api('GET', '/group-runs', undefined, triggerToken()), 403, 'FORBIDDEN');
    const readOnly = devToken(Audience.scheduler, [Scope.adminRead], 'ferry-admin');
    expect((await s.api('GET', '/definitions', undefined, readOnly)).status).toBe(200);
    expectError(
      await s.api('POST', '/definitions', definitionBody('forbidden', [fake.url]), readOnly),
      403,
      'FORBIDDEN',
    );
    expectError(await s.api('GET', '/definitions/forbidden'), 404, 'NOT_FOUND');
  });

  it('404 NOT_FOUND for unknown ids (and routes)', async () => {
    for (const [method, path] of [
      ['GET', `/group-runs/${UNKNOWN}`],
      ['GET', `/task-runs/${UNKNOWN}`],
      ['GET', `/definitions/${UNKNOWN}`],
      ['GET', '/definitions/not-an-id'],
      ['POST', `/group-runs/${UNKNOWN}/cancel`],
      ['POST', `/task-runs/${UNKNOWN}/retry`],
      ['POST', `/definitions/${UNKNOWN}/pause`],
      ['GET', '/no-such-thing'],
    ] as const)
      expectError(await s.api(method, path), 404, 'NOT_FOUND');
    expectError(
      await s.api('POST', `/callbacks/tasks/${UNKNOWN}`, { dispatchId: 'd', status: 'RUNNING' }, callbackToken()),
      404,
      'NOT_FOUND',
    );
  });

  it('serves its OpenAPI document and the Swagger UI at /docs; a body-less POST declared JSON is no body', async () => {
    // Any token of the scheduler with a scope opens the documents (test/security covers the refusals).
    const docsHeaders = { authorization: `Bearer ${triggerToken()}` };
    const doc = await fetch(`${s.handle.url}/docs/openapi.json`, { headers: docsHeaders });
    expect(doc.status).toBe(200);
    const paths = Object.keys(((await doc.json()) as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/v1/triggers', '/api/v1/callbacks/tasks/{taskRunId}']));
    const ui = await fetch(`${s.handle.url}/docs`, { headers: docsHeaders });
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger-ui');
    const asset = await fetch(`${s.handle.url}/docs/swagger-ui-bundle.js`, { headers: docsHeaders });
    expect({ status: asset.status, type: asset.headers.get('content-type') }).toEqual({
      status: 200,
      type: expect.stringContaining('javascript'),
    });
    await asset.arrayBuffer();
    const res = await fetch(`${s.handle.url}/api/v1/definitions/errs/pause`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${devToken(Audience.scheduler, [Scope.adminRead, Scope.adminWrite], 'ferry-admin')}`,
      },
    });
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 200,
      body: expect.objectContaining({ name: 'errs', enabled: false }),
    });
    expect(
      (await s.api('GET', '/definitions')).body.items.find((d: { name: string }) => d.name === 'errs'),
    ).toMatchObject({ enabled: false });
    expect((await s.api('POST', '/definitions/errs/resume')).status).toBeLessThan(300);
    // Addressed by name, an update lands on that definition too.
    const { version } = (await s.api('GET', '/definitions/errs')).body;
    const put = await s.api('PUT', '/definitions/errs', {
      ...definitionBody('errs', [fake.url]),
      description: 'by name',
      version,
    });
    expect(put.status).toBe(200);
    expect((await s.api('GET', '/definitions/errs')).body).toMatchObject({
      description: 'by name',
      version: version + 1,
      enabled: true,
    });
  });

  it('409 CONFLICT: a PUT with a stale version, a duplicate name; neither changes anything', async () => {
    const created = await s.api('POST', '/definitions', definitionBody('versioned', [fake.url], { description: 'v1' }));
    const { id, version } = created.body;
    const put = (v: number, description: string) =>
      s.api('PUT', `/definitions/${id}`, { ...definitionBody('versioned', [fake.url]), description, version: v });
    const updated = await put(version, 'v2');
    expect(updated.status).toBe(200);
    expect(updated.body.version).toBe(version + 1);
    expectError(await put(version, 'stale write'), 409, 'CONFLICT');
    expectError(
      await s.api('POST', '/definitions', definitionBody('versioned', [fake.url], { description: 'copy' })),
      409,
      'CONFLICT',
    );
    const now = await s.api('GET', `/definitions/${id}`);
    expect(now.body).toMatchObject({ version: version + 1, description: 'v2' });
    expect(
      (await s.api('GET', '/definitions?limit=500')).body.items.filter((d: { name: string }) => d.name === 'versioned'),
    ).toHaveLength(1);
  });

  it('429 RATE_LIMITED with Retry-After, per client', async () => {
    // A second admin client, since a client's scopes come from its configuration.
    const clients = [...CLIENTS, dev('ops-admin', [Scope.adminRead])];
    const limited = await startTestScheduler(dbType, {
      FERRY_RATE_LIMIT_PER_SECOND: '3',
      FERRY_SCHEDULER_CLIENTS: JSON.stringify(clients),
    });
    try {
      const burst = await Promise.all(Array.from({ length: 8 }, () => limited.api('GET', '/stats')));
      const refused = burst.filter((r) => r.status === 429);
      expect(burst.filter((r) => r.status === 200)).toHaveLength(3);
      expect(refused).toHaveLength(5);
      for (const r of refused) {
        expectError(r, 429, 'RATE_LIMITED');
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      // Another client has its own budget.
      expect(
        (await limited.api('GET', '/stats', undefined, devToken(Audience.scheduler, [Scope.adminRead], 'ops-admin')))
          .status,
      ).toBe(200);
      await new Promise((r) => setTimeout(r, Number(refused[0].headers.get('retry-after')) * 1000 + 50));
      expect((await limited.api('GET', '/stats')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('a rejected request changes nothing; the same trigger, once valid, is taken', async () => {
    const after = await stats();
    // Only the ES256 positive control above was accepted.
    expect(after.triggers).toEqual({ ...before.triggers, ACCEPTED: (before.triggers.ACCEPTED ?? 0) + 1 });
    const total = (counts: Record<string, number>) => Object.values(counts).reduce((x, y) => x + y, 0);
    expect(total(after.groupRuns)).toBe(total(before.groupRuns) + 1);
    const listed = (await s.api('GET', '/triggers?limit=500')).body.items.map(
      (t: { messageId: string }) => t.messageId,
    );
    expect(listed).toEqual(['m-erp']);
    expect((await s.api('GET', '/group-runs?definition=errs')).body.items).toHaveLength(1);
    const ok = await s.api('POST', '/triggers', triggerBody('errs', 2, 'm-invalid'), triggerToken());
    expect(ok.status).toBe(202);
    await waitForGroup(s, ok.body.groupRuns[0].id, 'SUCCEEDED');
  });
});

describe('503 UNAVAILABLE when the database is down (PostgreSQL behind a proxy)', () => {
  let s: SchedulerUnderTest;
  let proxy: TcpProxy;
  let fake: FakeDownstream;

  beforeAll(async () => {
    fake = await new FakeDownstream().start();
    const db = await createTestDatabase('postgres');
    proxy = await new TcpProxy('127.0.0.1', Number(new URL(db.config.url).port || 5432)).start();
    s = await startTestScheduler(
      'postgres',
      {},
      { db: { config: { ...db.config, url: proxy.via(db.config.url) }, drop: db.drop } },
    );
    expect((await s.api('POST', '/definitions', definitionBody('down', [fake.url]))).status).toBe(201);
  });
  afterAll(async () => {
    await proxy?.restore();
    await s?.close();
    await proxy?.close();
    await fake?.close();
  });

  it('answers 503 with nothing written, and takes the same trigger once the database is back', async () => {
    expect(proxy.accepted).toBeGreaterThan(0);
    const body = triggerBody('down', 2, 'm-while-down');
    await proxy.cut();
    const refused = await s.api('POST', '/triggers', body, triggerToken());
    expectError(refused, 503, 'UNAVAILABLE');
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expectError(await s.api('GET', '/group-runs'), 503, 'UNAVAILABLE');

    await proxy.restore();
    const listed = await eventually(
      async () => {
        const r = await s.api('GET', '/triggers?limit=500');
        return r.status === 200 ? r.body.items : undefined;
      },
      15_000,
      'the database to be back',
    );
    expect(listed.map((t: { messageId: string }) => t.messageId)).not.toContain('m-while-down');
    expect((await s.api('GET', '/group-runs?definition=down')).body.items).toHaveLength(0);
    const again = await s.api('POST', '/triggers', body, triggerToken());
    expect(again.status).toBe(202);
    expect(again.body.duplicate).toBe(false);
    await waitForGroup(s, again.body.groupRuns[0].id, 'SUCCEEDED');
  });
});

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Audience, Scope } from '#ferry/contracts';
import { DEV_SECRET, devToken, FakeDownstream } from '#ferry/testing';
import {
  DIST_CONSUMER_MAIN,
  DIST_PROVIDER_MAIN,
  DIST_SCHEDULER_MAIN,
  ensureBuilt,
  ensureSchedulerBuilt,
} from '../support/build.js';
import { mintDevToken } from '../../scripts/demo/mint-token.js';
import { productionSchedulerEnv, STRONG_SECRET } from '../support/security.js';
import { definitionBody, type SchedulerUnderTest, startTestScheduler } from '../support/scheduler.js';

// Finding 3: outside development mode no app trusts the public development secret, the default clients or
// a short HS256 secret, and the running app refuses tokens signed with the development secret.

const clients = (secret: string) =>
  JSON.stringify([{ clientId: 'ops', keys: [{ alg: 'HS256', secret }], scopes: [Scope.adminRead, Scope.adminWrite] }]);

/** Starts a built app with only `env` (no FERRY_* of the test's own) and waits for it to exit. */
async function boot(main: string, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FERRY_')));
  try {
    await promisify(execFile)(process.execPath, [main], { env: { ...clean, ...env }, timeout: 20_000 });
    return { code: 0, stderr: '' };
  } catch (e) {
    const err = e as { code?: number; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stderr: err.stderr ?? '' };
  }
}

describe('an app outside development mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-devmode-'));
  const apps = [
    { app: 'SCHEDULER', main: DIST_SCHEDULER_MAIN, secret: 'FERRY_SCHEDULER_OUTBOUND_SECRET' },
    { app: 'CONSUMER', main: DIST_CONSUMER_MAIN, secret: 'FERRY_CONSUMER_SIGNING_SECRET' },
    { app: 'PROVIDER', main: DIST_PROVIDER_MAIN, secret: 'FERRY_PROVIDER_SIGNING_SECRET' },
  ];
  const dbFile = (app: string) => join(dir, `${app.toLowerCase()}.sqlite`);
  const base = (app: string) => ({ [`FERRY_${app}_PORT`]: '0', [`FERRY_${app}_DB_URL`]: dbFile(app) });

  beforeAll(async () => {
    await Promise.all([ensureBuilt(), ensureSchedulerBuilt()]);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(apps)('$app: refuses to start on the defaults, naming its clients and signing secret', async (a) => {
    const r = await boot(a.main, base(a.app));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`FERRY_${a.app}_CLIENTS is not set: outside development mode (FERRY_DEV_MODE=true)`);
    expect(r.stderr).toContain(`${a.secret} is required`);
    if (a.app === 'SCHEDULER') expect(r.stderr).toContain('FERRY_SCHEDULER_SECRET_KEYS is not set');
    expect(existsSync(dbFile(a.app))).toBe(false);
  });

  it.each(apps)('$app: refuses the development secret and a short secret, naming where each is', async (a) => {
    const devSecret = await boot(a.main, {
      ...base(a.app),
      [`FERRY_${a.app}_CLIENTS`]: clients(DEV_SECRET),
      [a.secret]: 'short',
    });
    expect(devSecret.code).not.toBe(0);
    expect(devSecret.stderr).toContain(
      `FERRY_${a.app}_CLIENTS[0] (ops) keys[0].secret is the public development secret`,
    );
    expect(devSecret.stderr).toContain(`${a.secret} is 5 bytes: an HS256 secret needs at least 32`);
    expect(existsSync(dbFile(a.app))).toBe(false);
  });
});

describe('a running scheduler outside development mode', () => {
  let s: SchedulerUnderTest;
  let fake: FakeDownstream;
  const ops = () => devToken(Audience.scheduler, [Scope.adminRead, Scope.adminWrite], 'ops', STRONG_SECRET);
  const definitions = async () => (await s.api('GET', '/definitions?limit=500', undefined, ops())).body.items.length;

  beforeAll(async () => {
    fake = await new FakeDownstream().start();
    s = await startTestScheduler('sqlite', productionSchedulerEnv());
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  it('answers a token signed with the development secret 401, by any client name, and defines nothing', async () => {
    const before = await definitions();
    for (const issuer of ['ferry-admin', 'ops']) {
      const forged = devToken(Audience.scheduler, [Scope.adminRead, Scope.adminWrite], issuer, DEV_SECRET);
      const res = await s.api('POST', '/definitions', definitionBody(`dev-${issuer}`, [fake.url]), forged);
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    }
    expect(await definitions()).toBe(before);
    expect((await s.api('POST', '/definitions', definitionBody('ops-own', [fake.url]), ops())).status).toBe(201);
  });
});

describe('the development token command', () => {
  let s: SchedulerUnderTest;
  const devEnv = { FERRY_DEV_MODE: 'true' };

  beforeAll(async () => {
    s = await startTestScheduler('sqlite');
  });
  afterAll(async () => {
    await s?.close();
  });

  it('mints, in development mode, a token the scheduler accepts for exactly the scopes asked', async () => {
    const read = mintDevToken(['--client', 'ferry-admin', '--scope', Scope.adminRead], devEnv);
    expect((await s.api('GET', '/group-runs', undefined, read)).status).toBe(200);
    const res = await s.api('POST', '/definitions', definitionBody('minted', ['http://127.0.0.1:9']), read);
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
  });

  it('refuses outside development mode, and scopes the client may not have', () => {
    const args = ['--client', 'ferry-admin', '--scope', Scope.adminRead];
    expect(() => mintDevToken(args, {})).toThrow('tokens are minted only in development mode (FERRY_DEV_MODE=true)');
    expect(() => mintDevToken(['--client', 'upstream-dev', '--scope', Scope.adminWrite], devEnv)).toThrow(
      'upstream-dev may not have admin:write',
    );
    expect(() => mintDevToken(['--client', 'nobody', '--scope', Scope.adminRead], devEnv)).toThrow(
      'the scheduler has no client "nobody"',
    );
  });
});

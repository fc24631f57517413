import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Audience, Scope } from '#ferry/contracts';
import { call, DEV_MODE_ENV, devToken, FakeDownstream, type JsonResponse } from '#ferry/testing';
import { ensureSchedulerBuilt, ROOT } from '../support/build.js';
import { SessionSweeper } from '../../apps/scheduler/src/index.js';
import { readTable } from '../support/apps.js';
import { definitionBody, type SchedulerUnderTest, startTestScheduler } from '../support/scheduler.js';
import { expectRefused, productionSchedulerEnv } from '../support/security.js';

jest.setTimeout(60_000);

// Issue 13: the portal's login sessions, roles, CSRF, the slowing of wrong passwords, Bull Board by role.

const PASSWORD = 'correct-horse-battery-staple';

/** A signed-in browser: its cookie and CSRF token, sent the way the portal sends them. */
interface Browser {
  cookie: string;
  csrf: string;
  login: JsonResponse;
}

/** The scheduler's log lines (JSON), as written. */
class Capture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

async function signInAt(base: string, username: string, password = PASSWORD): Promise<Browser> {
  const login = await call('POST', `${base}/api/v1/session`, { body: { username, password } });
  expect(login.status).toBe(200);
  return { cookie: login.headers.get('set-cookie')!.split(';')[0], csrf: login.body.csrfToken, login };
}

/** The first-admin command, as an operator runs it against the scheduler's database. */
function createUser(db: { type: string; url: string }, env: Record<string, string>, args: string[], stdin?: string) {
  const cli = resolve(ROOT, 'dist/apps/scheduler/src/cli/create-user.js');
  const childEnv = {
    ...DEV_MODE_ENV,
    PATH: process.env.PATH ?? '',
    FERRY_SCHEDULER_DB_TYPE: db.type,
    FERRY_SCHEDULER_DB_URL: db.url,
    ...env,
  };
  return new Promise<{ code: number; out: string }>((done) => {
    const child = execFile(process.execPath, [cli, ...args], { env: childEnv }, (err, stdout, stderr) =>
      done({ code: err ? Number(err.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
    child.stdin?.end(stdin ?? '');
  });
}

describe('portal sessions (SQLite)', () => {
  let s: SchedulerUnderTest;
  let fake: FakeDownstream;
  const logs = new Capture();
  const url = (path: string) => `${s.handle.url}/api/v1${path}`;
  /** A request with the browser's cookie and its CSRF token (`csrf`: another one; null: none). */
  const as = (b: Browser | undefined, method: string, path: string, body?: unknown, csrf?: string | null) => {
    const token = csrf === undefined ? b?.csrf : csrf;
    return call(method, url(path), {
      body,
      headers: { ...(b ? { cookie: b.cookie } : {}), ...(token != null ? { 'x-csrf-token': token } : {}) },
    });
  };
  const signIn = (username: string, password = PASSWORD) => signInAt(s.handle.url, username, password);
  const board = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    fetch(`${s.handle.url}/portal/queues${path}`, { method, headers });
  const definition = async (name: string) => (await s.api('GET', `/definitions/${name}`)).body;

  beforeAll(async () => {
    fake = await new FakeDownstream().start();
    s = await startTestScheduler('sqlite', {}, { overrides: { observability: { logDestination: logs } } });
    s.handle.observability.obs.logger.level = 'info';
    for (const [username, role] of [
      ['vera', 'viewer'],
      ['otto', 'operator'],
      ['ada', 'admin'],
      ['lou', 'viewer'],
    ])
      expect((await s.api('POST', '/users', { username, role, password: PASSWORD })).status).toBe(201);
    expect((await s.api('POST', '/definitions', definitionBody('nightly', [fake.url]))).status).toBe(201);
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  it('signs in with a HttpOnly, SameSite=Strict cookie, answers the session, and signs out', async () => {
    const b = await signIn('otto');
    expect(b.login.body).toEqual({
      user: { username: 'otto', role: 'operator' },
      scopes: [Scope.adminRead, Scope.adminOperate],
      csrfToken: expect.any(String),
    });
    const attributes = b.login.headers
      .get('set-cookie')!
      .split(';')
      .map((a) => a.trim().toLowerCase());
    expect(attributes[0]).toMatch(/^ferry_session=[A-Za-z0-9_-]{40,}$/);
    expect(attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/']));
    // Development mode (the test scheduler's): no Secure, so that http://localhost works.
    expect(attributes).not.toContain('secure');

    const current = await as(b, 'GET', '/session');
    expect(current.status).toBe(200);
    expect(current.body).toEqual(b.login.body);
    expect(current.headers.get('set-cookie')).toBeNull();

    expect((await as(b, 'DELETE', '/session')).status).toBe(204);
    expectRefused(await as(b, 'GET', '/session'), 401, 'UNAUTHENTICATED');
    expectRefused(await as(b, 'GET', '/definitions'), 401, 'UNAUTHENTICATED');
  });

  it('refuses a wrong password and an unknown user with the same 401 text', async () => {
    const wrong = await call('POST', url('/session'), { body: { username: 'ada', password: 'not-her-password' } });
    const unknown = await call('POST', url('/session'), { body: { username: 'nobody', password: PASSWORD } });
    const text = expectRefused(wrong, 401, 'UNAUTHENTICATED');
    expect(expectRefused(unknown, 401, 'UNAUTHENTICATED')).toBe(text);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expectRefused(await as(undefined, 'GET', '/session'), 401, 'UNAUTHENTICATED');
    expectRefused(
      await call('GET', url('/definitions'), { headers: { cookie: 'ferry_session=forged-value' } }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('a viewer reads but is refused an operator action, 403 and nothing changed', async () => {
    const b = await signIn('vera');
    expect((await as(b, 'GET', '/definitions')).status).toBe(200);
    expectRefused(await as(b, 'POST', '/definitions/nightly/pause'), 403, 'FORBIDDEN');
    expect((await definition('nightly')).enabled).toBe(true);
  });

  it('an operator may pause and resume, but is refused admin:write (definitions, users), nothing changed', async () => {
    const b = await signIn('otto');
    const paused = await as(b, 'POST', '/definitions/nightly/pause');
    expect(paused.status).toBe(200);
    expect(paused.body.enabled).toBe(false);
    expect((await as(b, 'POST', '/definitions/nightly/resume')).body.enabled).toBe(true);
    const version = (await definition('nightly')).version;
    const edit = { ...definitionBody('nightly', [fake.url]), version, pollIntervalSeconds: 9 };
    expectRefused(await as(b, 'PUT', '/definitions/nightly', edit), 403, 'FORBIDDEN');
    expectRefused(
      await as(b, 'POST', '/users', { username: 'eve', role: 'admin', password: PASSWORD }),
      403,
      'FORBIDDEN',
    );
    expect((await definition('nightly')).version).toBe(version);
    expect((await s.api('GET', '/users')).body.items.map((u: { username: string }) => u.username)).not.toContain('eve');
  });

  it('a change made with the cookie but without the CSRF token, or a wrong one, is 403 and changes nothing', async () => {
    const b = await signIn('ada');
    const before = await definition('nightly');
    for (const csrf of [null, '', 'wrong', `${b.csrf}x`, b.csrf.slice(1)]) {
      expectRefused(await as(b, 'POST', '/definitions/nightly/pause', undefined, csrf), 403, 'FORBIDDEN');
      expectRefused(await as(b, 'DELETE', '/session', undefined, csrf), 403, 'FORBIDDEN');
    }
    expect(await definition('nightly')).toEqual(before);
    // Another session's token is not this one's.
    const other = await signIn('ada');
    expectRefused(await as(b, 'POST', '/definitions/nightly/pause', undefined, other.csrf), 403, 'FORBIDDEN');
    expect(await definition('nightly')).toEqual(before);
    expect((await as(b, 'GET', '/session')).status).toBe(200);
  });

  it('bearer requests are unaffected: no CSRF token needed, a cookie beside the token is ignored', async () => {
    const token = devToken(Audience.scheduler, [Scope.adminRead, Scope.adminWrite], 'ferry-admin');
    const paused = await call('POST', url('/definitions/nightly/pause'), { token });
    expect(paused.status).toBe(200);
    const resumed = await call('POST', url('/definitions/nightly/resume'), {
      token,
      headers: { cookie: 'ferry_session=forged-value' },
    });
    expect(resumed.status).toBe(200);
    // A viewer's cookie does not lower, nor raise, what the token may do.
    const viewer = await signIn('vera');
    const readOnly = devToken(Audience.scheduler, [Scope.adminRead], 'ferry-admin');
    expectRefused(
      await call('POST', url('/definitions/nightly/pause'), {
        token: readOnly,
        headers: { cookie: viewer.cookie, 'x-csrf-token': viewer.csrf },
      }),
      403,
      'FORBIDDEN',
    );
    expect((await definition('nightly')).enabled).toBe(true);
  });

  it('five wrong passwords for a username are answered 429 with Retry-After, then even the right one; logged without the password', async () => {
    const guesses = ['guess-number-1', 'guess-number-2', 'guess-number-3', 'guess-number-4', 'guess-number-5'];
    for (const password of guesses)
      expectRefused(
        await call('POST', url('/session'), { body: { username: 'lou', password } }),
        401,
        'UNAUTHENTICATED',
      );
    for (const password of ['guess-number-6', PASSWORD]) {
      const slowed = await call('POST', url('/session'), { body: { username: 'lou', password } });
      expectRefused(slowed, 429, 'RATE_LIMITED');
      expect(Number(slowed.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(slowed.headers.get('set-cookie')).toBeNull();
    }
    // Another user from the same address is not locked out by lou's guesses.
    expect((await signIn('vera')).login.status).toBe(200);

    const refusals = logs.lines.map((l) => JSON.parse(l)).filter((l) => /login refused/.test(l.msg));
    expect(refusals.length).toBeGreaterThanOrEqual(5);
    expect(refusals.filter((l) => l.msg.includes('"lou"') && l.msg.includes('127.0.0.1')).length).toBe(5);
    const text = logs.lines.join('\n');
    for (const password of [...guesses, 'guess-number-6', PASSWORD]) expect(text).not.toContain(password);
  });

  it('Bull Board: 401 without a session, 403 for a viewer or from elsewhere, 200 for an operator and an admin', async () => {
    expect((await board('')).status).toBe(401);
    const token = devToken(Audience.scheduler, [Scope.adminRead, Scope.adminWrite], 'ferry-admin');
    const bearer = await board('/api/queues', { authorization: `Bearer ${token}` });
    expect(bearer.status).toBe(401);
    expect(((await bearer.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    const viewer = await signIn('vera');
    const refused = await board('/api/queues', { cookie: viewer.cookie });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String), details: [] } });

    for (const who of ['otto', 'ada']) {
      const b = await signIn(who);
      const page = await board('', { cookie: b.cookie });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const api = await board('/api/queues', { cookie: b.cookie });
      expect(api.status).toBe(200);
      expect(((await api.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort()).toEqual(
        [s.config.triggerQueue, 'ferry.tasks'].sort(),
      );
    }
    // A change (Bull Board's own actions) from another origin, or without one, is refused.
    const otto = await signIn('otto');
    const elsewhere = await board(
      '/api/queues/ferry.tasks/pause',
      { cookie: otto.cookie, origin: 'https://evil.example' },
      'PUT',
    );
    expect(elsewhere.status).toBe(403);
    expect((await board('/api/queues/ferry.tasks/pause', { cookie: otto.cookie }, 'PUT')).status).toBe(403);
  });

  it('a user cannot remove the last admin; disabling a user ends their sessions', async () => {
    const ada = await signIn('ada');
    expectRefused(await as(ada, 'PUT', '/users/ada', { role: 'operator' }), 409, 'CONFLICT');
    expectRefused(await as(ada, 'PUT', '/users/ada', { disabled: true }), 409, 'CONFLICT');
    expect(
      (await s.api('GET', '/users')).body.items.find((u: { username: string }) => u.username === 'ada'),
    ).toMatchObject({ role: 'admin', disabled: false });
    const users = (await s.api('GET', '/users')).body;
    expect(JSON.stringify(users)).not.toMatch(/password|argon2/i);

    const vera = await signIn('vera');
    expect((await as(ada, 'PUT', '/users/vera', { disabled: true })).status).toBe(200);
    expectRefused(await as(vera, 'GET', '/session'), 401, 'UNAUTHENTICATED');
    expectRefused(
      await call('POST', url('/session'), { body: { username: 'vera', password: PASSWORD } }),
      401,
      'UNAUTHENTICATED',
    );
    expect((await as(ada, 'PUT', '/users/vera', { disabled: false })).status).toBe(200);
  });

  it('the first admin comes from the command line; there is no default account', async () => {
    await ensureSchedulerBuilt();
    expectRefused(
      await call('POST', url('/session'), { body: { username: 'admin', password: 'admin' } }),
      401,
      'UNAUTHENTICATED',
    );
    const weak = await createUser(s.db.config, { FERRY_NEW_USER_PASSWORD: 'short' }, [
      '--username',
      'root',
      '--role',
      'admin',
    ]);
    expect(weak.code).toBe(1);
    expect(weak.out).not.toContain('short');
    const made = await createUser(s.db.config, { FERRY_NEW_USER_PASSWORD: PASSWORD }, [
      '--username',
      'root',
      '--role',
      'admin',
    ]);
    expect(made).toEqual({ code: 0, out: 'Created admin "root"\n' });
    expect((await signIn('root')).login.body.user).toEqual({ username: 'root', role: 'admin' });
    const piped = await createUser(s.db.config, {}, ['--username', 'pipe', '--role', 'viewer'], `${PASSWORD}\n`);
    expect(piped.code).toBe(0);
    expect((await signIn('pipe')).login.body.user).toEqual({ username: 'pipe', role: 'viewer' });
    expect(
      (await createUser(s.db.config, { FERRY_NEW_USER_PASSWORD: PASSWORD }, ['--username', 'root', '--role', 'admin']))
        .code,
    ).toBe(1);
    expect((await createUser(s.db.config, {}, ['--username', 'x', '--role', 'root'])).code).toBe(2);
  });
});

describe('portal session expiry (SQLite)', () => {
  let s: SchedulerUnderTest;
  let offset = 0;
  const at = (b: Browser) => call('GET', `${s.handle.url}/api/v1/session`, { headers: { cookie: b.cookie } });

  beforeAll(async () => {
    s = await startTestScheduler(
      'sqlite',
      { FERRY_PORTAL_SESSION_IDLE_MINUTES: '1', FERRY_PORTAL_SESSION_MAX_HOURS: '1' },
      { overrides: { clock: () => Date.now() + offset } },
    );
    expect((await s.api('POST', '/users', { username: 'otto', role: 'operator', password: PASSWORD })).status).toBe(
      201,
    );
  });
  afterAll(async () => {
    await s?.close();
  });

  it('a session unused for the idle time ends', async () => {
    const b = await signInAt(s.handle.url, 'otto');
    offset += 50_000;
    expect((await at(b)).status).toBe(200);
    offset += 50_000; // used 50 s ago: still alive
    expect((await at(b)).status).toBe(200);
    offset += 61_000;
    expectRefused(await at(b), 401, 'UNAUTHENTICATED');
    offset += 1_000;
    expectRefused(await at(b), 401, 'UNAUTHENTICATED');
  });

  it('a session whose cookie never comes back is deleted by the sweep once it has ended, a live one kept', async () => {
    const sessions = async () =>
      ((await readTable(s.db.config, 'operator_session', 'created_at')) as Array<{ username: string }>).length;
    const sweep = () => s.handle.app.get(SessionSweeper).sweep();
    await sweep();
    const before = await sessions();
    const gone = await signInAt(s.handle.url, 'otto');
    offset += 50_000;
    const live = await signInAt(s.handle.url, 'otto');
    expect(await sweep()).toBe(0);
    expect(await sessions()).toBe(before + 2);
    offset += 20_000; // the first unused for 70 s, past the idle minute; the second for 20 s
    expect(await sweep()).toBe(1);
    expect(await sessions()).toBe(before + 1);
    expect((await at(live)).status).toBe(200);
    expectRefused(await at(gone), 401, 'UNAUTHENTICATED');
  });

  it('a session in use ends at its absolute lifetime', async () => {
    const b = await signInAt(s.handle.url, 'otto');
    let elapsed = 0;
    // Steps well inside the 60 s idle time, so that a slow machine's own seconds do not end it first.
    while (elapsed + 45_000 < 3_600_000) {
      offset += 45_000;
      elapsed += 45_000;
      expect((await at(b)).status).toBe(200);
    }
    offset += 45_000; // past the hour, though used 45 s ago
    expectRefused(await at(b), 401, 'UNAUTHENTICATED');
  });
});

describe('the session cookie outside development mode', () => {
  let s: SchedulerUnderTest;

  beforeAll(async () => {
    s = await startTestScheduler('sqlite', productionSchedulerEnv());
    const ops = await call('POST', `${s.handle.url}/api/v1/users`, {
      body: { username: 'otto', role: 'operator', password: PASSWORD },
      token: devToken(Audience.scheduler, [Scope.adminRead, Scope.adminWrite], 'ops', productionSecret()),
    });
    expect(ops.status).toBe(201);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('is Secure (HTTPS only), besides HttpOnly and SameSite=Strict', async () => {
    const b = await signInAt(s.handle.url, 'otto');
    const attributes = b.login.headers
      .get('set-cookie')!
      .split(';')
      .map((a) => a.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/', 'secure']));
  });
});

function productionSecret(): string {
  return JSON.parse(productionSchedulerEnv().FERRY_SCHEDULER_CLIENTS)[0].keys[0].secret as string;
}

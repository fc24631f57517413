import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Scope } from '#ferry/contracts';
import { call, devToken, FakeDownstream, type JsonResponse } from '#ferry/testing';
import { Audience } from '#ferry/contracts';
import { definitionBody, type SchedulerUnderTest, startTestScheduler } from '../support/scheduler.js';
import { expectRefused } from '../support/security.js';

// Issue 13: the portal's login sessions, roles, CSRF, the slowing of wrong passwords, Bull Board by role.

const PASSWORD = 'correct-horse-battery-staple';

/** A signed-in browser: its cookie and CSRF token, sent the way the portal sends them. */
interface Browser {
  cookie: string;
  csrf: string;
  login: JsonResponse;
}

describe('portal sessions (SQLite)', () => {
  let s: SchedulerUnderTest;
  let fake: FakeDownstream;
  const url = (path: string) => `${s.handle.url}/api/v1${path}`;
  /** A request with the browser's cookie and its CSRF token (`csrf`: another one; null: none). */
  const as = (b: Browser | undefined, method: string, path: string, body?: unknown, csrf?: string | null) => {
    const token = csrf === undefined ? b?.csrf : csrf;
    return call(method, url(path), {
      body,
      headers: { ...(b ? { cookie: b.cookie } : {}), ...(token != null ? { 'x-csrf-token': token } : {}) },
    });
  };
  const signIn = async (username: string, password = PASSWORD): Promise<Browser> => {
    const login = await call('POST', url('/session'), { body: { username, password } });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    return { cookie, csrf: login.body.csrfToken, login };
  };
  const definition = async (name: string) => (await s.api('GET', `/definitions/${name}`)).body;

  beforeAll(async () => {
    fake = await new FakeDownstream().start();
    s = await startTestScheduler('sqlite');
    for (const [username, role] of [
      ['vera', 'viewer'],
      ['otto', 'operator'],
      ['ada', 'admin'],
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
});

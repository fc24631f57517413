import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  definitionBody,
  type SchedulerUnderTest,
  startTestScheduler,
  triggerBody,
  triggerToken,
} from '../support/scheduler.js';
import { expectRefused } from '../support/security.js';

jest.setTimeout(120_000);

// Definitions archived (never deleted) and their versions; auth profiles replaced with a version check.
describe('definition archive and versions, auth profile versions (PostgreSQL)', () => {
  let s: SchedulerUnderTest;

  beforeAll(async () => {
    s = await startTestScheduler('postgres');
  });
  afterAll(async () => {
    await s?.close();
  });

  const names = async (query = '') =>
    ((await s.api('GET', `/definitions?limit=500${query}`)).body.items as Array<{ name: string }>).map((d) => d.name);
  const trigger = (name: string) => s.api('POST', '/triggers', triggerBody(name, 1), triggerToken());

  it('archives a definition: it matches no trigger and leaves the default list until unarchived', async () => {
    const created = await s.api('POST', '/definitions', definitionBody('arch-a', ['http://127.0.0.1:9']));
    expect(created.body.archivedAt).toBeNull();
    const archived = await s.api('POST', '/definitions/arch-a/archive');
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ name: 'arch-a', version: 1 });
    expect(archived.body.archivedAt).not.toBeNull();
    expect((await s.api('POST', '/definitions/arch-a/archive')).body).toEqual(archived.body); // twice: no change

    expect((await trigger('arch-a')).body.groupRuns).toEqual([]);
    expect(await names()).not.toContain('arch-a');
    expect(await names('&archived=true')).toEqual(['arch-a']);
    expect((await s.api('GET', '/definitions/arch-a')).body.archivedAt).toBe(archived.body.archivedAt);
    expectRefused(await s.api('POST', '/definitions/arch-a/runs', {}), 409, 'CONFLICT');

    const back = await s.api('POST', `/definitions/${created.body.id}/unarchive`);
    expect(back.body.archivedAt).toBeNull();
    expect(await names()).toContain('arch-a');
    expect((await trigger('arch-a')).body.groupRuns).toHaveLength(1);
  });

  it('keeps every version of a spec and answers what changed between two', async () => {
    const v1 = (await s.api('POST', '/definitions', definitionBody('vers-a', ['http://127.0.0.1:9']))).body;
    const put = await s.api('PUT', '/definitions/vers-a', {
      ...definitionBody('vers-a', ['http://127.0.0.1:9', 'http://127.0.0.1:10']),
      attemptTimeoutSeconds: 60,
      version: 1,
    });
    expect(put.body.version).toBe(2);
    expect((await s.api('POST', '/definitions/vers-a/pause')).body.version).toBe(3);
    expectRefused(
      await s.api('PUT', '/definitions/vers-a', { ...definitionBody('vers-a', ['http://127.0.0.1:11']), version: 1 }),
      409,
      'CONFLICT',
    );

    const versions = (await s.api('GET', `/definitions/${v1.id}/versions`)).body;
    expect(versions.items.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    expect(versions.nextCursor).toBeNull();
    const first = (await s.api('GET', '/definitions/vers-a/versions/1')).body;
    expect(first).toMatchObject({ definitionId: v1.id, version: 1, spec: { attemptTimeoutSeconds: 30 } });
    expect(first.spec.target.urls).toEqual(['http://127.0.0.1:9']);

    const diff = (await s.api('GET', '/definitions/vers-a/diff?from=1&to=3')).body;
    expect(diff).toEqual({
      definitionId: v1.id,
      from: 1,
      to: 3,
      changes: [
        { path: 'attemptTimeoutSeconds', before: 30, after: 60 },
        { path: 'enabled', before: true, after: false },
        { path: 'target.urls[1]', after: 'http://127.0.0.1:10' },
      ],
    });
    expect((await s.api('GET', '/definitions/vers-a/diff?from=2&to=2')).body.changes).toEqual([]);
  });

  it('refuses unknown definitions and versions, and bad numbers', async () => {
    expectRefused(await s.api('POST', '/definitions/no-such/archive'), 404, 'NOT_FOUND');
    expectRefused(await s.api('POST', '/definitions/no-such/unarchive'), 404, 'NOT_FOUND');
    expectRefused(await s.api('GET', '/definitions/no-such/versions'), 404, 'NOT_FOUND');
    expectRefused(await s.api('GET', '/definitions/vers-a/versions/9'), 404, 'NOT_FOUND');
    expectRefused(await s.api('GET', '/definitions/vers-a/diff?from=1&to=9'), 404, 'NOT_FOUND');
    for (const path of ['versions/0', 'versions/x', 'diff?from=1', 'diff?from=a&to=2', 'diff?from=1.5&to=2'])
      expectRefused(await s.api('GET', `/definitions/vers-a/${path}`), 422, 'VALIDATION_FAILED');
    expectRefused(await s.api('GET', '/definitions?archived=maybe'), 422, 'VALIDATION_FAILED');
  });

  it('replaces an auth profile only at the version it names (409 on a stale one), or as before without one', async () => {
    const body = {
      name: 'prof-a',
      issuer: 'ferry',
      audience: 'downstream',
      scopes: ['sync'],
      alg: 'HS256',
      secret: 'a-secret-of-sixteen-or-more',
    };
    expect((await s.api('POST', '/auth-profiles', body)).body.version).toBe(1);
    const v2 = await s.api('PUT', '/auth-profiles/prof-a', { ...body, issuer: 'ferry-2', version: 1 });
    expect(v2.body).toMatchObject({ version: 2, issuer: 'ferry-2' });
    expectRefused(
      await s.api('PUT', '/auth-profiles/prof-a', { ...body, issuer: 'stale', version: 1 }),
      409,
      'CONFLICT',
    );
    expect((await s.api('GET', '/auth-profiles/prof-a')).body).toEqual(v2.body);
    expect((await s.api('PUT', '/auth-profiles/prof-a', body)).body).toMatchObject({ version: 3, issuer: 'ferry' });
    expectRefused(await s.api('PUT', '/auth-profiles/prof-a', { ...body, version: 0 }), 422, 'VALIDATION_FAILED');
  });
});

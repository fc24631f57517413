import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Db } from '#ferry/persistence';
import { call, FakeDownstream } from '#ferry/testing';
import {
  definitionBody,
  eventually,
  type SchedulerUnderTest,
  startTestScheduler,
  triggerToken,
  triggerBody,
  waitForGroup,
} from '../support/scheduler.js';
import { expectRefused } from '../support/security.js';

// Issue 13: every admin change writes one audit event (who, what, before, after) in its own transaction;
// a change that fails writes none; secrets never reach the log.

jest.setTimeout(60_000);

const PASSWORD = 'correct-horse-battery-staple';
const SECRET = 'a-profile-secret-nobody-may-read';

describe.each(['sqlite', 'postgres'] as const)('the audit log (%s)', (dbType) => {
  let s: SchedulerUnderTest;
  let held: FakeDownstream;
  let failing: FakeDownstream;
  let operator: { cookie: string; csrf: string };
  const audit = async (q = '') => (await s.api('GET', `/audit?limit=500${q}`)).body.items as any[];
  /** Runs `change` and answers the audit events it added (newest first). */
  const added = async (change: () => Promise<unknown>) => {
    const before = new Set((await audit()).map((e) => e.id));
    await change();
    return (await audit()).filter((e) => !before.has(e.id));
  };
  const asOperator = (method: string, path: string, body?: unknown) =>
    call(method, `${s.handle.url}/api/v1${path}`, {
      body,
      headers: { cookie: operator.cookie, 'x-csrf-token': operator.csrf },
    });

  beforeAll(async () => {
    held = await new FakeDownstream({ behaviour: 'manual' }).start();
    failing = await new FakeDownstream({ behaviour: 'fail' }).start();
    s = await startTestScheduler(dbType, {
      FERRY_ALERT_CHANNELS: JSON.stringify([{ type: 'webhook', url: 'http://127.0.0.1:9/hook' }]),
      FERRY_ALERT_MAX_ATTEMPTS: '1',
      FERRY_ALERT_POLL_MS: '50',
    });
    expect((await s.api('POST', '/users', { username: 'otto', role: 'operator', password: PASSWORD })).status).toBe(
      201,
    );
    const login = await call('POST', `${s.handle.url}/api/v1/session`, {
      body: { username: 'otto', password: PASSWORD },
    });
    operator = { cookie: login.headers.get('set-cookie')!.split(';')[0], csrf: login.body.csrfToken };
  });
  /** An OPEN alert of its own: a trigger from a source nothing is bound to raises one. */
  const openAlert = async (source: string) => {
    const unmatched = { messageId: `m-${Date.now()}`, source, event: 'nothing' };
    expect((await s.api('POST', '/triggers', unmatched, triggerToken())).status).toBeLessThan(300);
    return eventually(async () =>
      ((await s.api('GET', '/alerts?status=OPEN&limit=500')).body.items as any[]).find((a) =>
        a.message.includes(`"${source}"`),
      ),
    );
  };
  const failedTask = async () => {
    const failed = await s.api('POST', '/definitions/failing/runs', {});
    const group = await waitForGroup(s, failed.body.id, 'FAILED');
    const tasks = group.tasks as Array<{ id: string; attempt: number }>;
    return { groupId: group.id as string, taskId: tasks[0].id, attempts: tasks.map((t) => t.attempt) };
  };

  afterAll(async () => {
    await s?.close();
    await held?.close();
    await failing?.close();
  });

  it('definitions: create, update, pause, resume and run now each write one event with who, before and after', async () => {
    const [created] = await added(async () =>
      expect((await s.api('POST', '/definitions', definitionBody('audited', [held.url]))).status).toBe(201),
    );
    expect(created).toMatchObject({
      actor: 'ferry-admin',
      clientId: 'ferry-admin',
      action: 'definition.create',
      objectType: 'definition',
      before: null,
      after: { name: 'audited', version: 1 },
    });
    const id = created.objectId as string;

    const update = { ...definitionBody('audited', [held.url]), version: 1, pollIntervalSeconds: 2 };
    const updated = await added(async () =>
      expect((await s.api('PUT', `/definitions/${id}`, update)).status).toBe(200),
    );
    expect(updated).toEqual([
      expect.objectContaining({
        action: 'definition.update',
        objectId: id,
        before: expect.objectContaining({ version: 1, pollIntervalSeconds: 0.3 }),
        after: expect.objectContaining({ version: 2, pollIntervalSeconds: 2 }),
      }),
    ]);

    const paused = await added(async () =>
      expect((await asOperator('POST', `/definitions/${id}/pause`)).status).toBe(200),
    );
    expect(paused).toEqual([
      expect.objectContaining({
        actor: 'user:otto',
        clientId: 'portal',
        action: 'definition.pause',
        before: expect.objectContaining({ enabled: true }),
        after: expect.objectContaining({ enabled: false }),
        detail: { ip: expect.any(String) },
      }),
    ]);
    const resumed = await added(async () =>
      expect((await asOperator('POST', `/definitions/${id}/resume`)).status).toBe(200),
    );
    expect(resumed.map((e) => [e.action, e.after.enabled])).toEqual([['definition.resume', true]]);

    const ran = await added(async () =>
      expect((await asOperator('POST', `/definitions/${id}/runs`, {})).status).toBe(202),
    );
    expect(ran).toEqual([
      expect.objectContaining({ action: 'definition.run', objectId: id, after: expect.objectContaining({ tasks: 1 }) }),
    ]);

    // Filters: by actor, action and object.
    expect((await audit('&actor=user:otto')).every((e) => e.actor === 'user:otto')).toBe(true);
    expect((await audit(`&objectType=definition&objectId=${id}`)).length).toBe(5);
    expect((await audit('&action=definition.update')).length).toBe(1);
    expect((await audit('&from=2999-01-01T00:00:00Z')).length).toBe(0);
  });

  it('a change that fails writes no event', async () => {
    const none = await added(async () => {
      const stale = { ...definitionBody('audited', [held.url]), version: 1 };
      expect((await s.api('PUT', '/definitions/audited', stale)).status).toBe(409);
      expect((await s.api('POST', '/definitions', definitionBody('audited', [held.url]))).status).toBe(409);
      expect((await s.api('POST', '/definitions/nope/pause')).status).toBe(404);
      expect((await s.api('POST', '/users', { username: 'otto', role: 'admin', password: PASSWORD })).status).toBe(409);
      expect((await s.api('POST', '/group-runs/nope/cancel')).status).toBe(404);
    });
    expect(none).toEqual([]);
  });

  it('a change whose event cannot be written is not made (one transaction): definitions, task moves', async () => {
    const db = s.handle.app.get(Db);
    const run = await s.api('POST', '/definitions/audited/runs', {});
    const groupId = run.body.id as string;
    const before = await s.api('GET', '/definitions/audited');
    await db.dataSource.query('ALTER TABLE audit_event RENAME TO audit_event_away');
    try {
      expect((await asOperator('POST', '/definitions/audited/pause')).status).toBe(500);
      expect((await asOperator('POST', `/group-runs/${groupId}/cancel`)).status).toBe(500);
    } finally {
      await db.dataSource.query('ALTER TABLE audit_event_away RENAME TO audit_event');
    }
    expect((await s.api('GET', '/definitions/audited')).body).toEqual(before.body);
    const group = await s.api('GET', `/group-runs/${groupId}`);
    expect(group.body.status).toBe('RUNNING');
    expect(group.body.tasks.map((t: { status: string }) => t.status)).not.toContain('CANCELLED');
    expect((await asOperator('POST', `/group-runs/${groupId}/cancel`)).status).toBe(200);
  });

  it('auth profiles: create and update are recorded without the secret', async () => {
    const profile = {
      name: 'audited',
      issuer: 'ferry',
      audience: 'ferry-consumer',
      scopes: ['sync:write'],
      alg: 'HS256',
      secret: SECRET,
    };
    const events = await added(async () => {
      expect((await s.api('POST', '/auth-profiles', profile)).status).toBe(201);
      expect((await s.api('PUT', '/auth-profiles/audited', { ...profile, ttlSeconds: 60 })).status).toBe(200);
    });
    expect(events.map((e) => e.action)).toEqual(['auth-profile.update', 'auth-profile.create']);
    expect(events[0].before).toMatchObject({ ttlSeconds: 300 });
    expect(events[0].after).toMatchObject({ ttlSeconds: 60 });
    expect(JSON.stringify(events)).not.toContain(SECRET);
  });

  it('group cancel and task retry are recorded in the move’s transaction', async () => {
    const run = await s.api('POST', '/definitions/audited/runs', {});
    const groupId = run.body.id as string;
    const cancelled = await added(async () =>
      expect((await asOperator('POST', `/group-runs/${groupId}/cancel`)).status).toBe(200),
    );
    expect(cancelled).toEqual([
      expect.objectContaining({
        action: 'group-run.cancel',
        objectType: 'group-run',
        objectId: groupId,
        actor: 'user:otto',
        after: { cancelledTasks: 1 },
      }),
    ]);
    // A second cancel is refused (409) and writes nothing.
    expect(
      await added(async () => expect((await asOperator('POST', `/group-runs/${groupId}/cancel`)).status).toBe(409)),
    ).toEqual([]);

    const def = definitionBody('failing', [failing.url], { retry: { maxAttempts: 1, initialDelaySeconds: 0.1 } });
    expect((await s.api('POST', '/definitions', def)).status).toBe(201);
    const failed = await s.api('POST', '/definitions/failing/runs', {});
    const group = await waitForGroup(s, failed.body.id, 'FAILED');
    const taskId = group.tasks[0].id as string;
    const retried = await added(async () =>
      expect((await asOperator('POST', `/task-runs/${taskId}/retry`)).status).toBe(200),
    );
    expect(retried).toEqual([
      expect.objectContaining({
        action: 'task-run.retry',
        objectId: taskId,
        before: expect.objectContaining({ status: 'FAILED' }),
        after: expect.objectContaining({ status: expect.not.stringMatching(/^FAILED$/) }),
      }),
    ]);
  });

  it('alert acknowledgement and alert delivery retry are recorded', async () => {
    const unmatched = { messageId: `m-${Date.now()}`, source: 'nobody', event: 'nothing' };
    expect((await s.api('POST', '/triggers', unmatched, triggerToken())).status).toBeLessThan(300);
    const alert = await eventually(async () => (await s.api('GET', '/alerts?status=OPEN')).body.items[0]);
    const acked = await added(async () =>
      expect((await asOperator('POST', `/alerts/${alert.id}/ack`)).status).toBe(200),
    );
    expect(acked).toEqual([
      expect.objectContaining({
        action: 'alert.ack',
        objectId: alert.id,
        before: expect.objectContaining({ status: 'OPEN' }),
        after: expect.objectContaining({ status: 'ACKNOWLEDGED', acknowledgedBy: 'user:otto' }),
      }),
    ]);
    // A second acknowledgement changes nothing, and records nothing.
    expect(
      await added(async () => expect((await asOperator('POST', `/alerts/${alert.id}/ack`)).status).toBe(200)),
    ).toEqual([]);

    const dead = await eventually(
      async () => (await s.api('GET', '/alert-deliveries?status=DEAD')).body.items[0],
      20_000,
    );
    const retried = await added(async () =>
      expect((await asOperator('POST', `/alert-deliveries/${dead.id}/retry`)).status).toBe(200),
    );
    expect(retried).toEqual([
      expect.objectContaining({
        action: 'alert-delivery.retry',
        objectId: dead.id,
        before: expect.objectContaining({ status: 'DEAD' }),
        after: expect.objectContaining({ status: 'PENDING' }),
      }),
    ]);
  });

  it('users and logins are recorded, never with a password or its hash', async () => {
    const events = await added(async () => {
      expect((await s.api('POST', '/users', { username: 'ida', role: 'viewer', password: PASSWORD })).status).toBe(201);
      expect((await s.api('PUT', '/users/ida', { role: 'operator', password: `${PASSWORD}-2` })).status).toBe(200);
      const wrong = { username: 'ida', password: 'wrong-password-here' };
      expect((await call('POST', `${s.handle.url}/api/v1/session`, { body: wrong })).status).toBe(401);
      const right = { username: 'ida', password: `${PASSWORD}-2` };
      expect((await call('POST', `${s.handle.url}/api/v1/session`, { body: right })).status).toBe(200);
    });
    expect(events.map((e) => e.action)).toEqual([
      'session.login',
      'session.login-failed',
      'user.update',
      'user.create',
    ]);
    expect(events[3]).toMatchObject({ objectId: 'ida', before: null, after: { username: 'ida', role: 'viewer' } });
    expect(events[2]).toMatchObject({
      before: { role: 'viewer' },
      after: { role: 'operator' },
      detail: { passwordChanged: true },
    });
    expect(events[1]).toMatchObject({
      actor: 'user:ida',
      detail: { ip: expect.any(String), reason: 'wrong password' },
    });
    expect(events[0]).toMatchObject({ actor: 'user:ida', clientId: 'portal' });
    const text = JSON.stringify(events);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('wrong-password-here');
    expect(text).not.toMatch(/\$argon2/);
  });

  // The operator moves issue 13 added (portal-api): each in the move's own transaction, none when refused.

  it('mark succeeded is recorded with its reason; a refused one (409) writes none', async () => {
    const { groupId, taskId } = await failedTask();
    const marked = await added(async () =>
      expect(
        (await asOperator('POST', `/task-runs/${taskId}/mark-succeeded`, { reason: 'loaded by hand' })).status,
      ).toBe(200),
    );
    expect(marked).toEqual([
      expect.objectContaining({
        actor: 'user:otto',
        clientId: 'portal',
        action: 'task-run.mark-succeeded',
        objectType: 'task-run',
        objectId: taskId,
        before: expect.objectContaining({ status: 'FAILED' }),
        after: expect.objectContaining({ status: 'SUCCEEDED' }),
        detail: { ip: expect.any(String), reason: 'loaded by hand' },
      }),
    ]);
    await waitForGroup(s, groupId, 'SUCCEEDED');
    const none = await added(async () => {
      const again = await asOperator('POST', `/task-runs/${taskId}/mark-succeeded`, { reason: 'twice' });
      expect(again.status).toBe(409);
      expect((await asOperator('POST', `/task-runs/${taskId}/mark-succeeded`, {})).status).toBe(422);
      expect((await asOperator('POST', '/task-runs/nope/mark-succeeded', { reason: 'x' })).status).toBe(404);
    });
    expect(none).toEqual([]);
  });

  it('a rerun is recorded once for the group; a refused one (409) writes none', async () => {
    const { groupId } = await failedTask();
    const rerun = await added(async () =>
      expect((await asOperator('POST', `/group-runs/${groupId}/rerun`, { from: 'firstFailed' })).status).toBe(200),
    );
    expect(rerun).toEqual([
      expect.objectContaining({
        actor: 'user:otto',
        action: 'group-run.rerun',
        objectType: 'group-run',
        objectId: groupId,
        before: { status: 'FAILED' },
        after: { rerunTasks: 1, fromSeq: expect.any(Number) },
        detail: { ip: expect.any(String), from: 'firstFailed' },
      }),
    ]);
    // A finished group without a FAILED task has nothing to rerun from.
    const done = await s.api('POST', '/definitions/audited/runs', {});
    const doneId = done.body.id as string;
    expect((await asOperator('POST', `/group-runs/${doneId}/cancel`)).status).toBe(200);
    const none = await added(async () => {
      expect((await asOperator('POST', `/group-runs/${doneId}/rerun`, { from: 'firstFailed' })).status).toBe(409);
      expect((await asOperator('POST', `/group-runs/${doneId}/rerun`, { from: 'middle' })).status).toBe(422);
    });
    expect(none).toEqual([]);
  });

  it('a trigger replay is recorded with the group runs it created; refused or repeated, none', async () => {
    const posted = await s.api('POST', '/triggers', triggerBody('replayed', 1), triggerToken());
    const id = posted.body.triggerId as string;
    expect(posted.body.groupRuns).toEqual([]);
    // Still bound to nothing: 409, and nothing recorded.
    expect(
      await added(async () => expect((await asOperator('POST', `/triggers/${id}/replay`)).status).toBe(409)),
    ).toEqual([]);
    expect((await s.api('POST', '/definitions', definitionBody('replayed', [held.url]))).status).toBe(201);
    const replayed = await added(async () =>
      expect((await asOperator('POST', `/triggers/${id}/replay`)).status).toBe(200),
    );
    // The replay, and the UNMATCHED alert it resolved (no other trigger of that source and event waits).
    expect(replayed).toHaveLength(2);
    expect(replayed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actor: 'user:otto',
          action: 'alert.resolve',
          objectType: 'alert',
          before: expect.objectContaining({ status: 'OPEN' }),
          after: expect.objectContaining({ status: 'RESOLVED' }),
          detail: expect.objectContaining({ triggerId: id }),
        }),
      ]),
    );
    expect(replayed.filter((e: { action: string }) => e.action !== 'alert.resolve')).toEqual([
      expect.objectContaining({
        actor: 'user:otto',
        action: 'trigger.replay',
        objectType: 'trigger',
        objectId: id,
        before: { status: 'UNMATCHED', replayedAt: null },
        after: expect.objectContaining({
          status: 'UNMATCHED',
          replayedAt: expect.any(String),
          groupRuns: [expect.objectContaining({ definition: 'replayed', tasks: 1 })],
        }),
      }),
    ]);
    // A second replay answers the first one's outcome and changes nothing.
    expect(
      await added(async () => expect((await asOperator('POST', `/triggers/${id}/replay`)).status).toBe(200)),
    ).toEqual([]);
  });

  it('silence and un-acknowledge are recorded with their comments; a refused one (409) writes none', async () => {
    const alert = await openAlert('nobody-silenced');
    // Not acknowledged: un-acknowledging it is refused, and recorded nowhere.
    const refused = await added(async () => {
      expect((await asOperator('POST', `/alerts/${alert.id}/unack`, { comment: 'no' })).status).toBe(409);
      expect((await asOperator('POST', `/alerts/${alert.id}/silence`, { minutes: 0, comment: 'x' })).status).toBe(422);
    });
    expect(refused).toEqual([]);

    const silenced = await added(async () =>
      expect(
        (await asOperator('POST', `/alerts/${alert.id}/silence`, { minutes: 30, comment: 'maintenance' })).status,
      ).toBe(200),
    );
    expect(silenced).toEqual([
      expect.objectContaining({
        actor: 'user:otto',
        clientId: 'portal',
        action: 'alert.silence',
        objectType: 'alert',
        objectId: alert.id,
        before: expect.objectContaining({ status: 'OPEN', silencedUntil: null }),
        after: expect.objectContaining({ status: 'OPEN', silencedUntil: expect.any(String) }),
        detail: { ip: expect.any(String), minutes: 30, comment: 'maintenance' },
      }),
    ]);

    expect((await asOperator('POST', `/alerts/${alert.id}/ack`)).status).toBe(200);
    const unacked = await added(async () => {
      const res = await asOperator('POST', `/alerts/${alert.id}/unack`, { comment: 'not fixed after all' });
      expect(res.status).toBe(200);
      expect(res.body.comments).toEqual([
        expect.objectContaining({ action: 'SILENCE', text: 'maintenance', by: 'user:otto' }),
        expect.objectContaining({ action: 'UNACK', text: 'not fixed after all', by: 'user:otto' }),
      ]);
    });
    expect(unacked).toEqual([
      expect.objectContaining({
        actor: 'user:otto',
        action: 'alert.unack',
        objectId: alert.id,
        before: expect.objectContaining({ status: 'ACKNOWLEDGED', acknowledgedBy: 'user:otto' }),
        after: expect.objectContaining({ status: 'OPEN', acknowledgedBy: null }),
        detail: { ip: expect.any(String), comment: 'not fixed after all' },
      }),
    ]);
  });

  it('an acknowledgement keeps its comment, in the alert and the event; without one, as before', async () => {
    const withComment = await openAlert('nobody-commented');
    const acked = await added(async () => {
      const res = await asOperator('POST', `/alerts/${withComment.id}/ack`, { comment: 'looking into it' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ACKNOWLEDGED', acknowledgedBy: 'user:otto' });
      expect(res.body.comments).toEqual([
        { action: 'ACK', text: 'looking into it', by: 'user:otto', at: res.body.acknowledgedAt },
      ]);
    });
    expect(acked).toEqual([
      expect.objectContaining({
        action: 'alert.ack',
        objectId: withComment.id,
        after: expect.objectContaining({ status: 'ACKNOWLEDGED' }),
        detail: { ip: expect.any(String), comment: 'looking into it' },
      }),
    ]);

    const without = await openAlert('nobody-uncommented');
    // A bad body is refused (422) and changes nothing.
    const refused = await added(async () => {
      expectRefused(
        await asOperator('POST', `/alerts/${without.id}/ack`, { comment: 'x'.repeat(1001) }),
        422,
        'VALIDATION_FAILED',
      );
      expectRefused(await asOperator('POST', `/alerts/${without.id}/ack`, { comment: 7 }), 422, 'VALIDATION_FAILED');
      expectRefused(await asOperator('POST', `/alerts/${without.id}/ack`, { note: 'x' }), 422, 'VALIDATION_FAILED');
    });
    expect(refused).toEqual([]);
    expect((await s.api('GET', `/alerts?status=OPEN&limit=500`)).body.items.map((a: any) => a.id)).toContain(
      without.id,
    );
    // No body, an empty one or an empty comment: acknowledged as before, with no comment.
    const plain = await added(async () => {
      const res = await asOperator('POST', `/alerts/${without.id}/ack`, { comment: '' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ACKNOWLEDGED', comments: [] });
      expect((await asOperator('POST', `/alerts/${without.id}/ack`, {})).status).toBe(200);
      // A second acknowledgement changes nothing, its comment included.
      const again = await asOperator('POST', `/alerts/${without.id}/ack`, { comment: 'late' });
      expect(again.body.comments).toEqual([]);
    });
    expect(plain).toEqual([
      expect.objectContaining({ action: 'alert.ack', objectId: without.id, detail: { ip: expect.any(String) } }),
    ]);
  });

  it('a new move whose event cannot be written is not made (one transaction)', async () => {
    const db = s.handle.app.get(Db);
    const { groupId, taskId } = await failedTask();
    const again = await failedTask();
    const alert = await openAlert('nobody-unwritten');
    const posted = await s.api('POST', '/triggers', triggerBody('replayed-later', 1), triggerToken());
    const triggerId = posted.body.triggerId as string;
    expect((await s.api('POST', '/definitions', definitionBody('replayed-later', [held.url]))).status).toBe(201);
    const alertNow = async () =>
      ((await s.api('GET', '/alerts?limit=500')).body.items as any[]).find((a) => a.id === alert.id);
    const alertBefore = await alertNow();
    await db.dataSource.query('ALTER TABLE audit_event RENAME TO audit_event_away');
    try {
      expect((await asOperator('POST', `/task-runs/${taskId}/mark-succeeded`, { reason: 'r' })).status).toBe(500);
      expect((await asOperator('POST', `/group-runs/${again.groupId}/rerun`, { from: 'start' })).status).toBe(500);
      expect((await asOperator('POST', `/triggers/${triggerId}/replay`)).status).toBe(500);
      expect((await asOperator('POST', `/alerts/${alert.id}/silence`, { minutes: 5, comment: 'c' })).status).toBe(500);
      expect((await asOperator('POST', `/alerts/${alert.id}/ack`, { comment: 'c' })).status).toBe(500);
    } finally {
      await db.dataSource.query('ALTER TABLE audit_event_away RENAME TO audit_event');
    }
    expect((await s.api('GET', `/task-runs/${taskId}`)).body.status).toBe('FAILED');
    expect((await s.api('GET', `/group-runs/${groupId}`)).body.status).toBe('FAILED');
    const rerunGroup = (await s.api('GET', `/group-runs/${again.groupId}`)).body;
    expect(rerunGroup.status).toBe('FAILED');
    expect(rerunGroup.tasks.map((t: { attempt: number }) => t.attempt)).toEqual(again.attempts);
    expect((await s.api('GET', `/triggers/${triggerId}`)).body).toMatchObject({ replayedAt: null, replay: null });
    expect((await s.api('GET', '/group-runs?definition=replayed-later')).body.items).toEqual([]);
    expect(await alertNow()).toEqual(alertBefore);
  });
});

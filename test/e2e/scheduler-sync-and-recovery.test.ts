import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeDownstream, type FakeDownstreamOptions, TEST_DB_TYPES } from '#ferry/testing';
import {
  callbackToken,
  defineAndTrigger,
  eventually,
  startTestScheduler,
  type SchedulerUnderTest,
  waitForGroup,
  fakeDownstreams,
} from '../support/scheduler.js';

type Event = { from: string | null; to: string; actor: string; reason: string; dispatchId: string | null; at: string };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const expectConflict = (res: { status: number; body: any }) =>
  expect([res.status, res.body?.error?.code]).toEqual([409, 'CONFLICT']);
const recon = (n: number, checksum: string) => ({
  expected: n,
  received: n,
  inserted: n,
  updated: 0,
  deleted: 0,
  unchanged: 0,
  rejected: 0,
  checksum,
});

describe.each(TEST_DB_TYPES)('scheduler SYNC groups, callbacks and recovery on %s', (dbType) => {
  let s: SchedulerUnderTest;
  const fakes = fakeDownstreams();

  beforeAll(async () => {
    s = await startTestScheduler(dbType);
  });
  afterAll(async () => {
    await s?.close();
    await fakes.closeAll();
  });

  const fake = (options: FakeDownstreamOptions) => fakes.start(options);
  /** A definition on its own fake; answers the group run of one trigger with `files` files. */
  const run = (name: string, f: FakeDownstream, files: number, overrides: Record<string, unknown> = {}) =>
    defineAndTrigger(s, name, f.url, files, { pollIntervalSeconds: 0.2, ...overrides });
  const group = async (id: string) => (await s.api('GET', `/group-runs/${id}`)).body;
  const task = async (id: string) => (await s.api('GET', `/task-runs/${id}`)).body;
  const callback = (taskId: string, body: Record<string, unknown>) =>
    s.api('POST', `/callbacks/tasks/${taskId}`, body, callbackToken());
  const waitForTask = (id: string, status: string) =>
    eventually(
      async () => ((await task(id)).status === status ? task(id) : undefined),
      15_000,
      `task ${id} to be ${status}`,
    );

  it('SYNC: starts tasks in file order, each only after the previous SUCCEEDED', async () => {
    const f = await fake({ behaviour: 'manual' });
    const gid = await run('sync-order', f, 3, { mode: 'SYNC' });
    for (let i = 0; i < 3; i++) {
      await eventually(async () => f.starts.length === i + 1, 10_000, `start ${i}`);
      await sleep(500); // well over two poll rounds: nothing else may start meanwhile
      expect(f.starts.map((x) => x.body.files[0].name)).toEqual(
        Array.from({ length: i + 1 }, (_, k) => `f-${k}.ndjson`),
      );
      const g = await group(gid);
      expect(g.tasks.slice(i + 1).map((t: { status: string }) => t.status)).toEqual(Array(2 - i).fill('PENDING'));
      const { jobId } = f.starts[i];
      // The poller may see the job's new status first, so the callback may be a DUPLICATE; the status is what counts.
      expect(
        (await f.report(jobId, { status: 'RUNNING', progress: { processed: 1, total: 10 + i } })).body,
      ).toMatchObject({ status: 'RUNNING' });
      expect(
        (await f.report(jobId, { status: 'SUCCEEDED', reconciliation: recon(10 + i, `sha256:${i}`) })).body,
      ).toMatchObject({ status: 'SUCCEEDED' });
    }
    const done = await waitForGroup(s, gid, 'SUCCEEDED');
    expect(done.counts).toEqual({ total: 3, succeeded: 3, failed: 0, cancelled: 0, skipped: 0 });
    const histories: Event[][] = [];
    for (const t of done.tasks) histories.push((await task(t.id)).events);
    for (let i = 1; i < 3; i++) {
      const prevSucceeded = histories[i - 1].find((e) => e.to === 'SUCCEEDED')!.at;
      const dispatched = histories[i].find((e) => e.to === 'DISPATCHED')!.at;
      expect(Date.parse(dispatched)).toBeGreaterThanOrEqual(Date.parse(prevSucceeded));
      expect(f.starts[i].at).toBeGreaterThanOrEqual(Date.parse(prevSucceeded));
    }
  });

  it(
    'SYNC: a permanent failure skips the rest and fails the group; ' + 'an operator retry runs it again and un-skips',
    async () => {
      const f = await fake({ behaviour: 'fail' });
      const gid = await run('sync-fail', f, 3, {
        mode: 'SYNC',
        retry: { maxAttempts: 1, initialDelaySeconds: 0.1, factor: 2, maxDelaySeconds: 1 },
      });
      const failed = await waitForGroup(s, gid, 'FAILED');
      expect(failed.tasks.map((t: { status: string }) => t.status)).toEqual(['FAILED', 'SKIPPED', 'SKIPPED']);
      expect(failed.counts).toEqual({ total: 3, succeeded: 0, failed: 1, cancelled: 0, skipped: 2 });
      expect(failed.tasks[0].lastError).toMatchObject({ code: 'INJECTED' });
      expect((await task(failed.tasks[1].id)).events).toEqual([
        expect.objectContaining({ from: 'PENDING', to: 'SKIPPED', actor: 'system' }),
      ]);
      await sleep(300);
      expect(f.starts).toHaveLength(1);

      const skippedRetry = await s.api('POST', `/task-runs/${failed.tasks[1].id}/retry`);
      expect(skippedRetry.status).toBe(409);
      expect(skippedRetry.body.error.code).toBe('CONFLICT');
      const oldDispatch = failed.tasks[0].dispatchId;
      f.options.behaviour = 'succeed';
      f.options.delayMs = 400; // the downstream takes a while: the group must read RUNNING in between
      const retried = await s.api('POST', `/task-runs/${failed.tasks[0].id}/retry`);
      expect(retried.status).toBe(200);
      // (its dispatch may already follow it)
      expect(retried.body.events).toContainEqual(
        expect.objectContaining({ from: 'FAILED', to: 'PENDING', actor: 'operator', reason: 'RETRIED_BY_OPERATOR' }),
      );
      // Once the retry is answered, its group is RUNNING again, with the skipped tasks back to PENDING.
      const reopened = (await s.api('GET', `/group-runs/${gid}`)).body;
      expect(reopened.status).toBe('RUNNING');
      expect(reopened.tasks.map((t: { status: string }) => t.status)).toEqual([
        expect.stringMatching(/^(PENDING|DISPATCHED|RUNNING)$/),
        'PENDING',
        'PENDING',
      ]);
      f.options.delayMs = 0;
      const done = await waitForGroup(s, gid, 'SUCCEEDED');
      expect(done.counts).toEqual({ total: 3, succeeded: 3, failed: 0, cancelled: 0, skipped: 0 });
      expect(f.starts.map((x) => x.body.files[0].name)).toEqual([
        'f-0.ndjson',
        'f-0.ndjson',
        'f-1.ndjson',
        'f-2.ndjson',
      ]);
      expect(done.tasks[0].dispatchId).not.toBe(oldDispatch);
      expect((await callback(done.tasks[0].id, { dispatchId: oldDispatch, status: 'FAILED' })).body).toEqual({
        applied: false,
        reason: 'STALE',
        status: 'SUCCEEDED',
      });
      const again = await s.api('POST', `/task-runs/${done.tasks[0].id}/retry`);
      expect(again.status).toBe(409);
    },
  );

  it('recovers a lost callback by polling the downstream', async () => {
    const f = await fake({ behaviour: 'succeed', dropCallbacks: true });
    const gid = await run('lost-callback', f, 2);
    const g = await waitForGroup(s, gid, 'SUCCEEDED');
    expect(f.callbacksSent).toBe(0);
    for (const t of g.tasks) {
      const view = await task(t.id);
      expect(view.reconciliationStatus).toBe('OK');
      expect(view.events.find((e: Event) => e.to === 'SUCCEEDED')).toMatchObject({
        actor: 'poller',
        reason: 'REPORTED_SUCCEEDED',
      });
    }
  });

  it('answers duplicate, out-of-order, old-dispatch and contradicting callbacks as the contract says', async () => {
    const f = await fake({ behaviour: 'manual' });
    // no polling: only our callbacks move the task
    const gid = await run('callbacks', f, 1, { pollIntervalSeconds: 60 });
    await eventually(async () => f.starts.length === 1);
    const [{ body: start }] = f.starts;
    const id = start.taskRunId;
    const dispatchId = start.dispatchId;
    await waitForTask(id, 'ACCEPTED');
    const running = { dispatchId, status: 'RUNNING', progress: { processed: 5, total: 10 } };
    expect((await callback(id, running)).body).toEqual({ applied: true, status: 'RUNNING' });
    expect((await callback(id, running)).body).toEqual({ applied: false, reason: 'DUPLICATE', status: 'RUNNING' });
    expect((await callback(id, { ...running, progress: { processed: 8, total: 10 } })).body).toEqual({
      applied: true,
      status: 'RUNNING',
    });
    expect((await callback(id, { dispatchId, status: 'ACCEPTED' })).body).toEqual({
      applied: false,
      reason: 'STALE',
      status: 'RUNNING',
    });
    expect((await task(id)).progress).toEqual({ processed: 8, total: 10 });

    const succeeded = { dispatchId, status: 'SUCCEEDED', reconciliation: recon(10, 'sha256:0') };
    expect((await callback(id, succeeded)).body).toEqual({ applied: true, status: 'SUCCEEDED' });
    expect((await callback(id, succeeded)).body).toEqual({ applied: false, reason: 'DUPLICATE', status: 'SUCCEEDED' });
    expect((await callback(id, running)).body).toEqual({ applied: false, reason: 'STALE', status: 'SUCCEEDED' });
    expect((await callback(id, { ...succeeded, dispatchId: 'an-older-dispatch' })).body).toEqual({
      applied: false,
      reason: 'STALE',
      status: 'SUCCEEDED',
    });
    const contradiction = await callback(id, {
      dispatchId,
      status: 'FAILED',
      error: { code: 'LATE', message: 'too late' },
    });
    expect(contradiction.status).toBe(409);
    expect(contradiction.body).toEqual({ error: { code: 'CONFLICT', message: expect.any(String), details: [] } });

    const view = await task(id);
    expect(view.status).toBe('SUCCEEDED');
    expect(view.events.map((e: Event) => e.to)).toEqual(['DISPATCHED', 'ACCEPTED', 'RUNNING', 'SUCCEEDED']);
    await waitForGroup(s, gid, 'SUCCEEDED');
    expect((await callback('00000000-0000-4000-8000-000000000000', running)).status).toBe(404);
  });

  it('records a SUCCEEDED report whose counts do not add up, or whose checksum differs, as a MISMATCH', async () => {
    const f = await fake({
      reconcile: (req) => {
        const { name, recordCount: n = 0, checksum } = req.files[0];
        if (name === 'f-0.ndjson') return { ...recon(n, checksum!), inserted: n - 3 };
        if (name === 'f-1.ndjson') return recon(n, 'sha256:something-else');
        return recon(n, checksum!);
      },
    });
    const g = await waitForGroup(s, await run('mismatch', f, 3), 'SUCCEEDED');
    const [bad, badSum, ok] = await Promise.all(g.tasks.map((t: { id: string }) => task(t.id)));
    expect(bad).toMatchObject({
      status: 'SUCCEEDED',
      reconciliationStatus: 'MISMATCH',
      reconciliationProblems: ['received 10 but inserted+updated+deleted+unchanged+rejected = 7'],
    });
    expect(bad.events.at(-1)).toMatchObject({ to: 'SUCCEEDED', reason: 'RECONCILIATION_MISMATCH' });
    expect(badSum).toMatchObject({
      reconciliationStatus: 'MISMATCH',
      reconciliationProblems: [expect.stringMatching(/checksum sha256:something-else differs/)],
    });
    expect(ok).toMatchObject({ reconciliationStatus: 'OK', reconciliationProblems: [] });
    expect((await s.api('GET', '/stats')).body.reconciliationMismatches).toBe(2);
  });

  it(
    'retries after a 5xx with a NEW dispatchId; the old dispatch is STALE; ' + 'Retry-After of a 429 is honoured',
    async () => {
      const f = await fake({ failNext: { count: 1, status: 503 } });
      const g = await waitForGroup(s, await run('retry-5xx', f, 1, { pollIntervalSeconds: 5 }), 'SUCCEEDED');
      const view = await task(g.tasks[0].id);
      expect(f.requests.map((r) => r.status)).toEqual([503, 202]);
      const [first, second] = f.requests.map((r) => r.key);
      expect(second).not.toBe(first);
      expect(f.starts.map((x) => x.body.dispatchId)).toEqual([second]);
      expect(view).toMatchObject({ attempt: 2, dispatchId: second, lastError: { code: 'DOWNSTREAM_HTTP_503' } });
      expect(view.events.map((e: Event) => [e.to, e.actor, e.dispatchId])).toEqual([
        ['DISPATCHED', 'dispatcher', first],
        ['RETRY_WAIT', 'dispatcher', first],
        ['DISPATCHED', 'dispatcher', second],
        ...(view.events.length === 5 ? [['ACCEPTED', 'dispatcher', second]] : []),
        ['SUCCEEDED', 'callback', second],
      ]);
      expect(
        (await callback(view.id, { dispatchId: first, status: 'SUCCEEDED', reconciliation: recon(10, 'sha256:0') }))
          .body,
      ).toEqual({ applied: false, reason: 'STALE', status: 'SUCCEEDED' });

      const slow = await fake({ failNext: { count: 1, status: 429, retryAfterSeconds: 1 } });
      const g2 = await waitForGroup(s, await run('retry-429', slow, 1, { pollIntervalSeconds: 5 }), 'SUCCEEDED');
      const waits = (await task(g2.tasks[0].id)).events
        .filter((e: Event) => e.to === 'RETRY_WAIT' || e.to === 'DISPATCHED')
        .map((e: Event) => Date.parse(e.at));
      expect(waits).toHaveLength(3);
      expect(waits[2] - waits[1]).toBeGreaterThanOrEqual(950);
    },
  );

  it(
    'cancels a running group (tasks not yet started included) ' +
      'and refuses to cancel a finished one or retry a running task',
    async () => {
      const f = await fake({ behaviour: 'manual' });
      const gid = await run('cancel', f, 3, { mode: 'SYNC' });
      await eventually(async () => f.starts.length === 1);
      const live = await group(gid);
      const runningRetry = await s.api('POST', `/task-runs/${live.tasks[0].id}/retry`);
      expect(runningRetry.status).toBe(409);
      expect(runningRetry.body).toEqual({
        error: { code: 'CONFLICT', message: expect.stringMatching(/only FAILED or CANCELLED/), details: [] },
      });

      const cancelled = await s.api('POST', `/group-runs/${gid}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('CANCELLED');
      expect(cancelled.body.tasks.map((t: { status: string }) => t.status)).toEqual([
        'CANCELLED',
        'CANCELLED',
        'CANCELLED',
      ]);
      expect(cancelled.body.counts).toEqual({ total: 3, succeeded: 0, failed: 0, cancelled: 3, skipped: 0 });
      expect((await task(live.tasks[0].id)).events.at(-1)).toMatchObject({ to: 'CANCELLED', actor: 'operator' });
      const late = await f.report(f.starts[0].jobId, { status: 'SUCCEEDED', reconciliation: recon(10, 'sha256:0') });
      expect(late.status).toBe(409);
      await sleep(500);
      expect(f.starts).toHaveLength(1);

      expectConflict(await s.api('POST', `/group-runs/${gid}/cancel`));
      const finished = await waitForGroup(s, await run('cancel-finished', await fake({}), 1), 'SUCCEEDED');
      expectConflict(await s.api('POST', `/group-runs/${finished.id}/cancel`));
      expect((await group(finished.id)).status).toBe('SUCCEEDED');
    },
  );
});

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { FakeDownstream } from '#ferry/testing';
import {
  defineAndTrigger,
  eventually,
  fakeDownstreams,
  type SchedulerUnderTest,
  startTestScheduler,
  waitForGroup,
} from '../support/scheduler.js';
import { expectRefused } from '../support/security.js';

jest.setTimeout(120_000);

const once = { retry: { maxAttempts: 1, initialDelaySeconds: 0.1, factor: 2, maxDelaySeconds: 1 } };
const short = (n: number) => ({
  expected: n,
  received: n - 1,
  inserted: n - 1,
  updated: 0,
  deleted: 0,
  unchanged: 0,
  rejected: 0,
});

// POST /task-runs/{id}/mark-succeeded, and the retry of a reconciliation MISMATCH.
describe('operator moves on finished tasks (PostgreSQL)', () => {
  const downstreams = fakeDownstreams();
  let s: SchedulerUnderTest;
  let failing: FakeDownstream;
  let mismatching: FakeDownstream;

  beforeAll(async () => {
    s = await startTestScheduler('postgres');
    failing = await downstreams.start({ behaviour: 'fail' });
    mismatching = await downstreams.start({ reconcile: (req) => short(req.files[0].recordCount ?? 0) });
  });
  afterAll(async () => {
    await s?.close();
    await downstreams.closeAll();
  });

  const task = async (id: string) => (await s.api('GET', `/task-runs/${id}`)).body;
  const mark = (id: string, body: unknown) => s.api('POST', `/task-runs/${id}/mark-succeeded`, body);

  it('marks a FAILED SYNC task succeeded: the skipped successors continue and the group succeeds', async () => {
    const g = await defineAndTrigger(s, 'mark-sync', failing.url, 3, { mode: 'SYNC', ...once });
    const failed = await waitForGroup(s, g, 'FAILED');
    expect(failed.tasks.map((t: { status: string }) => t.status)).toEqual(['FAILED', 'SKIPPED', 'SKIPPED']);
    failing.options.behaviour = 'succeed';
    const res = await mark(failed.tasks[0].id, { reason: 'loaded the file by hand' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('SUCCEEDED');
    expect(res.body.events.at(-1)).toMatchObject({
      from: 'FAILED',
      to: 'SUCCEEDED',
      actor: 'operator',
      reason: 'MARKED_SUCCEEDED_BY_OPERATOR',
      detail: { reason: 'loaded the file by hand', error: { code: 'INJECTED' } },
    });
    const done = await waitForGroup(s, g, 'SUCCEEDED');
    expect(done.tasks.map((t: { status: string }) => t.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(failing.startsFor(failed.tasks[0].id)).toHaveLength(1); // marked, not run again
    failing.options.behaviour = 'fail';
  });

  it('marks a FAILED ASYNC task succeeded and recounts its group at once', async () => {
    const g = await defineAndTrigger(s, 'mark-async', failing.url, 1, once);
    const [t] = (await waitForGroup(s, g, 'FAILED')).tasks;
    expect((await mark(t.id, { reason: 'fixed' })).status).toBe(200);
    expect((await s.api('GET', `/group-runs/${g}`)).body).toMatchObject({
      status: 'SUCCEEDED',
      counts: { succeeded: 1, failed: 0 },
    });
  });

  it('marks a reconciliation MISMATCH succeeded (OK), or retries it until the figures agree', async () => {
    const g = await defineAndTrigger(s, 'mark-mismatch', mismatching.url, 2);
    const [a, b] = (await waitForGroup(s, g, 'SUCCEEDED')).tasks;
    expect([a.reconciliationStatus, b.reconciliationStatus]).toEqual(['MISMATCH', 'MISMATCH']);
    const marked = await mark(a.id, { reason: 'the missing record was a duplicate' });
    expect(marked.body).toMatchObject({ status: 'SUCCEEDED', reconciliationStatus: 'OK', reconciliationProblems: [] });
    expect(marked.body.events.at(-1).detail.problems.length).toBeGreaterThan(0);

    mismatching.options.reconcile = undefined;
    const retried = await s.api('POST', `/task-runs/${b.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.events).toContainEqual(
      expect.objectContaining({ from: 'SUCCEEDED', to: 'PENDING', reason: 'RETRIED_BY_OPERATOR' }),
    );
    const again = await eventually(async () => {
      const t = await task(b.id);
      return t.status === 'SUCCEEDED' && t;
    });
    expect(again.reconciliationStatus).toBe('OK');
    expect(again.dispatchId).not.toBe(b.dispatchId);
  });

  it('refuses an unknown task, a task that is not FAILED or MISMATCH, and a bad body, changing nothing', async () => {
    const g = await defineAndTrigger(s, 'mark-refused', failing.url, 1, once);
    const [t] = (await waitForGroup(s, g, 'FAILED')).tasks;
    const before = await task(t.id);
    expectRefused(await mark('no-such-task', { reason: 'r' }), 404, 'NOT_FOUND');
    for (const body of [undefined, {}, { reason: '' }, { reason: 7 }, { reason: 'r', extra: 1 }])
      expectRefused(await mark(t.id, body), 422, 'VALIDATION_FAILED');
    expect(await task(t.id)).toEqual(before);

    expect((await mark(t.id, { reason: 'once' })).status).toBe(200);
    const after = await task(t.id);
    expectRefused(await mark(t.id, { reason: 'twice' }), 409, 'CONFLICT');
    expectRefused(await s.api('POST', `/task-runs/${t.id}/retry`), 409, 'CONFLICT'); // a plain success
    expect(await task(t.id)).toEqual(after);
  });
});

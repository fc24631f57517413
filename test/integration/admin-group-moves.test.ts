import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { FakeDownstream } from '#ferry/testing';
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
const statuses = (g: { tasks: Array<{ status: string }> }) => g.tasks.map((t) => t.status);

// POST /group-runs/{id}/rerun, and the cancel of a group asking the downstream to cancel its jobs.
describe('operator moves on group runs (PostgreSQL)', () => {
  const downstreams = fakeDownstreams();
  let s: SchedulerUnderTest;
  let manual: FakeDownstream;

  beforeAll(async () => {
    s = await startTestScheduler('postgres');
    manual = await downstreams.start({ behaviour: 'manual' });
  });
  afterAll(async () => {
    await s?.close();
    await downstreams.closeAll();
  });

  const group = async (id: string) => (await s.api('GET', `/group-runs/${id}`)).body;
  const rerun = (id: string, body: unknown) => s.api('POST', `/group-runs/${id}/rerun`, body);
  /** The job the downstream started for a task's latest dispatch. */
  const jobOf = (taskId: string) =>
    eventually(async () => manual.startsFor(taskId).at(-1)?.jobId, 15_000, `a job for ${taskId}`);

  /** A SYNC group of three whose first task succeeds and second fails: SUCCEEDED, FAILED, SKIPPED. */
  async function halfFailedSyncGroup(name: string): Promise<string> {
    const g = await defineAndTrigger(s, name, manual.url, 3, { mode: 'SYNC', ...once });
    const [first, second] = (await group(g)).tasks;
    await manual.report(await jobOf(first.id), { status: 'SUCCEEDED' });
    await manual.report(await jobOf(second.id), { status: 'FAILED', error: { code: 'E', message: 'broken' } });
    expect(statuses(await waitForGroup(s, g, 'FAILED'))).toEqual(['SUCCEEDED', 'FAILED', 'SKIPPED']);
    return g;
  }

  it('reruns a SYNC group from its first failed task, in order and with new dispatch ids', async () => {
    const g = await halfFailedSyncGroup('rerun-failed');
    const before = await group(g);
    const res = await rerun(g, { from: 'firstFailed' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('RUNNING');
    expect(res.body.tasks[0]).toMatchObject({ status: 'SUCCEEDED', dispatchId: before.tasks[0].dispatchId });
    const [, second, third] = before.tasks;
    const job = await eventually(async () => manual.startsFor(second.id).length === 2 && jobOf(second.id));
    expect(manual.startsFor(third.id)).toHaveLength(0); // it waits its turn
    expect((await group(g)).tasks[1].dispatchId).not.toBe(second.dispatchId);
    await manual.report(job, { status: 'SUCCEEDED' });
    await manual.report(await jobOf(third.id), { status: 'SUCCEEDED' });
    expect(statuses(await waitForGroup(s, g, 'SUCCEEDED'))).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const events = (await s.api('GET', `/task-runs/${second.id}`)).body.events;
    expect(events).toContainEqual(
      expect.objectContaining({ from: 'FAILED', to: 'PENDING', reason: 'RERUN_BY_OPERATOR' }),
    );
    expect(manual.startsFor(before.tasks[0].id)).toHaveLength(1);
  });

  it('reruns a whole group from the start, a succeeded one too', async () => {
    const g = await halfFailedSyncGroup('rerun-start');
    const res = await rerun(g, { from: 'start' });
    expect(res.status).toBe(200);
    expect(res.body.tasks.map((t: { status: string }) => t.status)).not.toContain('FAILED');
    const tasks = res.body.tasks as Array<{ id: string }>;
    for (const [i, t] of tasks.entries()) {
      const want = i < 2 ? 2 : 1; // the third never ran before: it was skipped
      const job = await eventually(async () => manual.startsFor(t.id).length >= want && jobOf(t.id), 15_000, t.id);
      await manual.report(job, { status: 'SUCCEEDED' });
    }
    await waitForGroup(s, g, 'SUCCEEDED');
    expect(tasks.map((t) => manual.startsFor(t.id).length)).toEqual([2, 2, 1]);
  });

  it('refuses an unknown group, a running one, a bad body and a rerun from no failure, changing nothing', async () => {
    expectRefused(await rerun('no-such-group', { from: 'start' }), 404, 'NOT_FOUND');
    const running = await defineAndTrigger(s, 'rerun-running', manual.url, 1, once);
    const live = await eventually(async () => {
      const g = await group(running);
      return g.tasks[0].status === 'ACCEPTED' && g;
    });
    expectRefused(await rerun(running, { from: 'start' }), 409, 'CONFLICT');
    expect(await group(running)).toEqual(live);

    const g = await halfFailedSyncGroup('rerun-refused');
    const before = await group(g);
    for (const body of [undefined, {}, { from: 'middle' }, { from: 'start', extra: true }])
      expectRefused(await rerun(g, body), 422, 'VALIDATION_FAILED');
    expect(await group(g)).toEqual(before);

    const done = await defineAndTrigger(s, 'rerun-none-failed', manual.url, 1, once);
    await manual.report(await jobOf((await group(done)).tasks[0].id), { status: 'SUCCEEDED' });
    const succeeded = await waitForGroup(s, done, 'SUCCEEDED');
    expectRefused(await rerun(done, { from: 'firstFailed' }), 409, 'CONFLICT');
    expect(await group(done)).toEqual(succeeded);
  });

  /** A group of two whose jobs the downstream has started and not finished. */
  async function startedGroup(name: string, downstream: FakeDownstream): Promise<{ id: string; jobs: string[] }> {
    const id = await defineAndTrigger(s, name, downstream.url, 2);
    const accepted = await eventually(async () => {
      const g = await group(id);
      return statuses(g).every((st) => st === 'ACCEPTED') && g;
    });
    const jobs = accepted.tasks.map((t: { downstreamJobId: string }) => t.downstreamJobId);
    return { id, jobs };
  }

  it("cancelling a group asks the downstream to cancel each live task's job", async () => {
    const { id, jobs } = await startedGroup('cancel-asks', manual);
    const res = await s.api('POST', `/group-runs/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('CANCELLED');
    await eventually(
      async () => jobs.every((j) => manual.jobs.get(j)?.status === 'CANCELLED'),
      15_000,
      'jobs cancelled',
    );
  });

  it('cancels the group even when its downstream cannot be reached', async () => {
    const gone = await new FakeDownstream({ behaviour: 'manual' }).start(); // closed here, not by closeAll
    const { id } = await startedGroup('cancel-unreachable', gone);
    await gone.close();
    const res = await s.api('POST', `/group-runs/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(statuses(res.body)).toEqual(['CANCELLED', 'CANCELLED']);
  });
});

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { In } from 'typeorm';
import { groupJobId, taskJobId } from '#ferry/queue';
import { TEST_DB_TYPES } from '#ferry/testing';
import { Db } from '#ferry/persistence';
import {
  DEFAULT_TUNING,
  GroupRecounter,
  Reconciler,
  TaskEngine,
  TaskEventEntity,
  TaskQueue,
  TaskRounds,
} from '../../apps/scheduler/src/index.js';
import {
  defineAndTrigger,
  eventually,
  fakeDownstreams,
  startTestScheduler,
  type SchedulerUnderTest,
  waitForGroup,
} from '../support/scheduler.js';

// An ASYNC group's job dispatches its tasks, then stands in for their rounds until their first poll
// is due: tasks that finish before never get a BullMQ job of their own; the others get one then.
// (Runs small enough to be started directly by their instance, without the job: below.)
describe.each(TEST_DB_TYPES)("an ASYNC group job and its tasks' rounds on %s", (dbType) => {
  let s: SchedulerUnderTest;
  const fakes = fakeDownstreams();

  beforeAll(async () => {
    s = await startTestScheduler(dbType, {}, { tuning: { directStartMaxTasks: 0 } });
  });
  afterAll(async () => {
    await s?.close();
    await fakes.closeAll();
  });

  const run = (name: string, url: string, files: number, overrides: Record<string, unknown>) =>
    defineAndTrigger(s, name, url, files, overrides);
  const queue = () => s.handle.app.get(TaskQueue).queue;
  /** The reconciler of the instance under test, with no grace for tasks that moved a moment ago. */
  const reconciler = () =>
    new Reconciler(s.handle.app.get(Db), s.handle.app.get(TaskQueue), s.handle.app.get(GroupRecounter), {
      reconcileIntervalMs: 60_000,
      runWorkers: true,
      tuning: { ...DEFAULT_TUNING, reconcileGraceMs: 0 },
    });
  const taskIds = async (gid: string): Promise<string[]> =>
    (await s.api('GET', `/group-runs/${gid}`)).body.tasks.map((t: { id: string }) => t.id);

  it('tasks that finish before their first poll never get a job of their own', async () => {
    const f = await fakes.start({ behaviour: 'succeed' });
    const gid = await run('quick', f.url, 3, { pollIntervalSeconds: 60 });
    await waitForGroup(s, gid, 'SUCCEEDED');
    for (const id of await taskIds(gid)) expect(await queue().getJob(taskJobId(id))).toBeUndefined();
    // The group's job waits out the poll interval, then finds nothing live and ends.
    expect(await queue().getJobState(groupJobId(gid))).toBe('delayed');
  });

  it(
    'a retry backoff that starts before the first poll is kept: ' +
      'the task gets its round then, not at the poll interval',
    async () => {
      const f = await fakes.start({ behaviour: 'manual' });
      const gid = await run('early-retry', f.url, 1, {
        pollIntervalSeconds: 60,
        retry: { maxAttempts: 3, initialDelaySeconds: 0.2, factor: 2, maxDelaySeconds: 1 },
      });
      await eventually(async () => f.starts.length === 1, 10_000, 'the first dispatch');
      await f.report(f.starts[0].jobId, { status: 'FAILED', error: { code: 'BOOM', message: 'transient' } });
      // Re-sent after the backoff, long before the 60 s poll.
      await eventually(async () => f.starts.length === 2, 10_000, 'the retry');
      expect(f.starts[1].body.dispatchId).not.toBe(f.starts[0].body.dispatchId);
      await f.report(f.starts[1].jobId, {
        status: 'SUCCEEDED',
        reconciliation: { expected: 0, received: 0, inserted: 0, updated: 0, deleted: 0, unchanged: 0, rejected: 0 },
      });
      await waitForGroup(s, gid, 'SUCCEEDED');
    },
  );

  it(
    'tasks still live when the first poll is due get their own rounds, ' +
      'and the reconciler counts the group job as theirs until then',
    async () => {
      const f = await fakes.start({ behaviour: 'manual' });
      const gid = await run('slow', f.url, 3, { pollIntervalSeconds: 2 });
      await eventually(async () => f.starts.length === 3, 10_000, 'three dispatches');
      const ids = await taskIds(gid);
      expect(await reconciler().runOnce()).toEqual({ requeued: 0 });
      for (const id of ids) expect(await queue().getJob(taskJobId(id))).toBeUndefined();
      // At the poll interval the group job arms each live task's round, which polls the downstream.
      for (const id of ids)
        await eventually(
          async () => (await queue().getJob(taskJobId(id))) !== undefined,
          10_000,
          `the round of task ${id}`,
        );
      for (const start of f.starts) f.jobs.get(start.jobId)!.status = 'SUCCEEDED';
      const g = await waitForGroup(s, gid, 'SUCCEEDED');
      expect(g.tasks.every((t: { status: string }) => t.status === 'SUCCEEDED')).toBe(true);
    },
  );

  it('a group job lost from Redis leaves its live tasks to the reconciler', async () => {
    const f = await fakes.start({ behaviour: 'manual' });
    const gid = await run('lost-group-job', f.url, 2, { pollIntervalSeconds: 60 });
    await eventually(async () => f.starts.length === 2, 10_000, 'two dispatches');
    await eventually(
      async () => (await queue().getJobState(groupJobId(gid))) === 'delayed',
      10_000,
      'the group job to wait',
    );
    await queue().remove(groupJobId(gid));
    expect(await reconciler().runOnce()).toEqual({ requeued: 2 });
    for (const id of await taskIds(gid)) expect(await queue().getJob(taskJobId(id))).toBeDefined();
  });
});

// A small run is dispatched by the instance that created it, without a group job; its poll job (the group job,
// delayed to the first poll) is added shortly after, only if the run is still live.
describe.each(TEST_DB_TYPES)('an ASYNC run started directly on %s', (dbType) => {
  let s: SchedulerUnderTest;
  const fakes = fakeDownstreams();
  // Long enough for a quick run to end first on a loaded machine (200 ms was not, beside the rest of the suite).
  const armAfterMs = 2000;

  beforeAll(async () => {
    s = await startTestScheduler(dbType, {}, { tuning: { directArmAfterMs: armAfterMs } });
  });
  afterAll(async () => {
    await s?.close();
    await fakes.closeAll();
  });

  const queueOf = (x: SchedulerUnderTest) => x.handle.app.get(TaskQueue).queue;
  const reconcilerOf = (x: SchedulerUnderTest) =>
    new Reconciler(x.handle.app.get(Db), x.handle.app.get(TaskQueue), x.handle.app.get(GroupRecounter), {
      reconcileIntervalMs: 60_000,
      runWorkers: true,
      tuning: { ...DEFAULT_TUNING, reconcileGraceMs: 0 },
    });
  const taskIdsOf = async (x: SchedulerUnderTest, gid: string): Promise<string[]> =>
    (await x.api('GET', `/group-runs/${gid}`)).body.tasks.map((t: { id: string }) => t.id);

  it('a run that ends before its poll job is due to be added never gets a job', async () => {
    const f = await fakes.start({ behaviour: 'succeed' });
    const gid = await defineAndTrigger(s, 'direct-quick', f.url, 3, { pollIntervalSeconds: 60 });
    await waitForGroup(s, gid, 'SUCCEEDED');
    // Past the moment its poll job would have been added.
    await new Promise((r) => setTimeout(r, armAfterMs + 1000));
    expect(await queueOf(s).getJobState(groupJobId(gid))).toBe('unknown');
    for (const id of await taskIdsOf(s, gid)) expect(await queueOf(s).getJob(taskJobId(id))).toBeUndefined();
  });

  it('a run still live gets its group job, delayed to the first poll, which the reconciler counts', async () => {
    const f = await fakes.start({ behaviour: 'manual' });
    const gid = await defineAndTrigger(s, 'direct-slow', f.url, 2, { pollIntervalSeconds: 60 });
    await eventually(async () => f.starts.length === 2, 10_000, 'two dispatches');
    await eventually(async () => (await queueOf(s).getJobState(groupJobId(gid))) === 'delayed', 10_000, 'the poll job');
    expect(await reconcilerOf(s).runOnce()).toEqual({ requeued: 0 });
    for (const start of f.starts) await f.report(start.jobId, { status: 'SUCCEEDED', reconciliation: NO_RECORDS });
    await waitForGroup(s, gid, 'SUCCEEDED');
  });

  it("a small run's first claims are written with its trigger: the engine never claims them, the keys sent are those", async () => {
    const engine = s.handle.app.get(TaskEngine);
    const claims: string[] = [];
    const submit = engine.submit.bind(engine);
    const spy = jest.spyOn(engine, 'submit').mockImplementation((taskId, cmd, allowed) => {
      if (cmd.kind === 'claim') claims.push(taskId);
      return submit(taskId, cmd, allowed);
    });
    try {
      const f = await fakes.start({ behaviour: 'succeed' });
      const gid = await defineAndTrigger(s, 'direct-claimed', f.url, 2, { pollIntervalSeconds: 60 });
      await waitForGroup(s, gid, 'SUCCEEDED');
      const ids = await taskIdsOf(s, gid);
      expect(claims.filter((id) => ids.includes(id))).toEqual([]);
      const events = await s.handle.app
        .get(Db)
        .run((em) => em.getRepository(TaskEventEntity).findBy({ taskRunId: In(ids), reason: 'DISPATCH' }));
      // One claim each, under the key its one sync request carried.
      expect(events.map((e) => e.dispatchId).sort()).toEqual(f.starts.map((st) => st.body.dispatchId).sort());
      expect(new Set(f.starts.map((st) => st.body.taskRunId))).toEqual(new Set(ids));
    } finally {
      spy.mockRestore();
    }
  });

  it('claims written with a trigger whose sends fail are re-sent by the claim path, under the written keys', async () => {
    const x = await startTestScheduler(dbType, { FERRY_DISPATCH_TIMEOUT_MS: '300' });
    try {
      const rounds = x.handle.app.get(TaskRounds);
      const spy = jest.spyOn(rounds, 'sendClaimed').mockRejectedValueOnce(new Error('the sender died'));
      const f = await fakes.start({ behaviour: 'succeed' });
      const gid = await defineAndTrigger(x, 'direct-lost-send', f.url, 1, { pollIntervalSeconds: 1 });
      await waitForGroup(x, gid, 'SUCCEEDED');
      expect(spy).toHaveBeenCalledTimes(1);
      const [id] = await taskIdsOf(x, gid);
      const events = await x.handle.app
        .get(Db)
        .run((em) => em.getRepository(TaskEventEntity).findBy({ taskRunId: id, reason: 'DISPATCH' }));
      expect(events).toHaveLength(1);
      expect(f.starts.map((st) => st.body.dispatchId)).toEqual([events[0].dispatchId]);
    } finally {
      await x.close();
    }
  });

  it("live tasks of a run whose poll job was never added (its instance died) are the reconciler's", async () => {
    const never = await startTestScheduler(dbType, {}, { tuning: { directArmAfterMs: 600_000 } });
    try {
      const f = await fakes.start({ behaviour: 'manual' });
      const gid = await defineAndTrigger(never, 'direct-unarmed', f.url, 2, { pollIntervalSeconds: 60 });
      await eventually(async () => f.starts.length === 2, 10_000, 'two dispatches');
      expect(await queueOf(never).getJobState(groupJobId(gid))).toBe('unknown');
      expect(await reconcilerOf(never).runOnce()).toEqual({ requeued: 2 });
      for (const id of await taskIdsOf(never, gid)) expect(await queueOf(never).getJob(taskJobId(id))).toBeDefined();
    } finally {
      await never.close();
    }
  });
});

const NO_RECORDS = { expected: 0, received: 0, inserted: 0, updated: 0, deleted: 0, unchanged: 0, rejected: 0 };

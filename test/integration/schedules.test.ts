import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { FakeDownstream } from '#ferry/testing';
import { ScheduleFirer } from '../../apps/scheduler/src/schedules/schedule-firer.js';
import {
  definitionBody,
  eventually,
  type SchedulerUnderTest,
  startTestScheduler,
  triggerBody,
  triggerToken,
  waitForGroup,
} from '../support/scheduler.js';

jest.setTimeout(120_000);

const T0 = Date.parse('2026-03-02T09:00:30Z'); // a Monday

// The fire loop driven by hand on a controllable clock: the test moves the clock and runs one pass, so
// "three intervals down" takes no minutes. Each definition fires every minute unless it says otherwise.
describe.each(['postgres', 'sqlite'] as const)('schedules on %s', (dbType) => {
  let s: SchedulerUnderTest;
  let fake: FakeDownstream;
  let now = T0;
  let firer: ScheduleFirer;

  beforeAll(async () => {
    fake = await new FakeDownstream({ behaviour: 'manual' }).start();
    s = await startTestScheduler(dbType, {}, { overrides: { clock: () => now } });
    firer = s.handle.app.get(ScheduleFirer);
    await firer.onModuleDestroy(); // the background loop stops: each pass below is the test's
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  // The clock jumps minutes between passes: an attempt timeout shorter than a jump would end (and re-dispatch)
  // a run the test still holds as soon as a poll round runs after the jump.
  async function define(name: string, schedule: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const res = await s.api(
      'POST',
      '/definitions',
      definitionBody(name, [fake.url], {
        bindings: [],
        schedule: { everySeconds: 60, ...schedule },
        attemptTimeoutSeconds: 3600,
        ...extra,
      }),
    );
    expect(res.status).toBe(201);
    return res.body as { id: string; version: number };
  }
  const state = async (name: string) => (await s.api('GET', `/definitions/${name}/schedule`)).body;
  /** Fires, oldest first, as the schedule's API lists them. */
  const fires = async (name: string) => ((await state(name)).fires as any[]).slice().reverse();
  const at = (iso: string) => Date.parse(iso);

  it('fires each time once, with its business date and a messageId of the definition and the time', async () => {
    now = T0;
    const def = await define('every-minute', { timeZone: 'Europe/London' });
    expect((await state('every-minute')).nextFireAt).toBe('2026-03-02T09:01:00.000Z');
    now = at('2026-03-02T09:01:00.020Z');
    await firer.runOnce();
    await firer.runOnce(); // the same time again: nothing more
    now = at('2026-03-02T09:02:00.005Z');
    await firer.runOnce();
    const list = await fires('every-minute');
    expect(list.map((f) => [f.status, f.via, f.messageId, f.businessDate])).toEqual([
      ['ACCEPTED', 'schedule', `${def.id}@2026-03-02T09:01:00.000Z`, '2026-03-02'],
      ['ACCEPTED', 'schedule', `${def.id}@2026-03-02T09:02:00.000Z`, '2026-03-02'],
    ]);
    expect(list.every((f) => f.answer.groupRuns.length === 1)).toBe(true);
    const run = await s.api('GET', `/group-runs/${list[0].answer.groupRuns[0].id}`);
    expect(run.body).toMatchObject({ definition: 'every-minute', businessDate: '2026-03-02' });
    expect((await state('every-minute')).nextFireAt).toBe('2026-03-02T09:03:00.000Z');
  });

  it.each([
    ['FIRE_ONCE_NOW', ['SKIPPED', 'SKIPPED', 'ACCEPTED']],
    ['FIRE_ALL', ['ACCEPTED', 'ACCEPTED', 'ACCEPTED']],
    ['SKIP', ['SKIPPED', 'SKIPPED', 'SKIPPED']],
  ])('after three intervals down, misfire policy %s', async (misfire, expected) => {
    now = T0;
    const name = `misfire-${misfire.toLowerCase().replace(/_/g, '-')}`;
    await define(name, { misfire, misfireThresholdSeconds: 10 });
    now = at('2026-03-02T09:03:30Z'); // 09:01, 09:02 and 09:03 were missed
    await firer.runOnce();
    const list = await fires(name);
    expect(list.map((f) => f.status)).toEqual(expected);
    expect(list.map((f) => f.payload.attributes.scheduledAt)).toEqual([
      '2026-03-02T09:01:00.000Z',
      '2026-03-02T09:02:00.000Z',
      '2026-03-02T09:03:00.000Z',
    ]);
    for (const f of list.filter((x) => x.status === 'SKIPPED')) expect(f.reason).toMatch(/^MISFIRE/);
    expect((await state(name)).nextFireAt).toBe('2026-03-02T09:04:00.000Z');
  });

  it('pauses and resumes a schedule: nothing fires meanwhile, then the misfire policy decides', async () => {
    now = T0;
    await define('paused', { misfireThresholdSeconds: 10 });
    const paused = await s.api('POST', '/definitions/paused/schedule/pause');
    expect(paused.status).toBe(200);
    expect(paused.body.pausedAt).toBe(new Date(T0).toISOString());
    now = at('2026-03-02T09:03:30Z');
    await firer.runOnce();
    expect(await fires('paused')).toEqual([]);
    expect((await s.api('POST', '/definitions/paused/schedule/resume')).body.pausedAt).toBeNull();
    await firer.runOnce();
    expect((await fires('paused')).map((f) => f.status)).toEqual(['SKIPPED', 'SKIPPED', 'ACCEPTED']);
    const audit = await s.api('GET', '/audit?objectType=definition');
    const actions = (audit.body.items as any[]).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['schedule.pause', 'schedule.resume']));
  });

  describe('overlap, while the previous run is still live', () => {
    /** The downstream's start of a group run's (one) task, once dispatched. */
    async function startOf(groupRunId: string) {
      const group = await s.api('GET', `/group-runs/${groupRunId}`);
      const taskId = group.body.tasks[0].id as string;
      return eventually(async () => fake.startsFor(taskId)[0], 15_000, `the dispatch of ${groupRunId}`);
    }
    /** Fires at 09:01 (a run the downstream holds), then at 09:02. */
    async function twoFires(name: string, overlap: string) {
      now = T0;
      await define(name, { overlap });
      now = at('2026-03-02T09:01:00Z');
      await firer.runOnce();
      const first = (await fires(name))[0].answer.groupRuns[0].id as string;
      await startOf(first);
      now = at('2026-03-02T09:02:00Z');
      await firer.runOnce();
      return { first, list: await fires(name) };
    }
    async function finish(groupRunId: string) {
      const start = await startOf(groupRunId);
      const n = start.body.files[0]?.recordCount ?? 0;
      const recon = { expected: n, received: n, inserted: n, updated: 0, deleted: 0, unchanged: 0, rejected: 0 };
      // A downstream sends its callback again until it is taken (as the consumer's outbox does).
      let answer: { status: number; body: unknown } | undefined;
      await eventually(
        async () => {
          answer = await fake.report(start.jobId, { status: 'SUCCEEDED', reconciliation: recon, jobId: start.jobId });
          return answer.status === 200;
        },
        20_000,
        'the callback to be taken',
      ).catch((err: Error) => {
        throw new Error(`${err.message}: last answer ${JSON.stringify(answer)}`);
      });
      // Taken and applied: a callback for a dispatch the task has moved past is answered 200 too, changing nothing.
      expect(answer?.body).toMatchObject({ applied: true, status: 'SUCCEEDED' });
      await waitForGroup(s, groupRunId, 'SUCCEEDED', 30_000);
    }

    it('ALLOW starts the second run beside the first', async () => {
      const { list } = await twoFires('overlap-allow', 'ALLOW');
      expect(list.map((f) => f.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    });

    it('SKIP records the second fire as skipped, with why', async () => {
      const { first, list } = await twoFires('overlap-skip', 'SKIP');
      expect(list.map((f) => f.status)).toEqual(['ACCEPTED', 'SKIPPED']);
      expect(list[1].reason).toContain(first);
    });

    it('QUEUE starts the second fire when the first run ends', async () => {
      const { first, list } = await twoFires('overlap-queue', 'QUEUE');
      expect(list.map((f) => f.status)).toEqual(['ACCEPTED', 'QUEUED']);
      expect((await state('overlap-queue')).queued).toBe(1);
      await firer.runOnce(); // still live: it stays queued
      expect((await fires('overlap-queue'))[1].status).toBe('QUEUED');
      await finish(first);
      await firer.runOnce();
      const after = await fires('overlap-queue');
      expect(after[1]).toMatchObject({ status: 'ACCEPTED', reason: null });
      expect(after[1].answer.groupRuns).toHaveLength(1);
      expect((await state('overlap-queue')).queued).toBe(0);
    });

    it('REPLACE cancels the live run, then starts the new one', async () => {
      const { first, list } = await twoFires('overlap-replace', 'REPLACE');
      expect(list[1].status).toBe('QUEUED');
      await waitForGroup(s, first, 'CANCELLED');
      await firer.runOnce();
      const after = await fires('overlap-replace');
      expect(after.map((f) => f.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    });
  });

  it("holds a dependant's fire WAITING for its upstream's success that day, then starts it", async () => {
    now = T0;
    const up = await s.api('POST', '/definitions', definitionBody('upstream-of-scheduled', [fake.url]));
    expect(up.status).toBe(201);
    await define('scheduled-dependant', {}, { dependsOn: [{ definition: 'upstream-of-scheduled' }] });
    now = at('2026-03-02T09:01:00Z');
    await firer.runOnce();
    const [held] = await fires('scheduled-dependant');
    expect(held).toMatchObject({ status: 'WAITING', businessDate: '2026-03-02' });
    expect(held.reason).toContain('upstream-of-scheduled');
    const posted = await s.api(
      'POST',
      '/triggers',
      { ...triggerBody('upstream-of-scheduled', 1), businessDate: '2026-03-02' },
      triggerToken(),
    );
    expect(posted.status).toBe(202);
    const group = await s.api('GET', `/group-runs/${posted.body.groupRuns[0].id}`);
    const start = await eventually(async () => fake.startsFor(group.body.tasks[0].id)[0], 15_000, 'the upstream');
    const n = start.body.files[0].recordCount ?? 0;
    const recon = { expected: n, received: n, inserted: n, updated: 0, deleted: 0, unchanged: 0, rejected: 0 };
    await fake.report(start.jobId, { status: 'SUCCEEDED', reconciliation: recon, jobId: start.jobId });
    const started = await eventually(
      async () => {
        const [f] = await fires('scheduled-dependant');
        return f.status === 'ACCEPTED' ? f : undefined;
      },
      15_000,
      'the held fire to start',
    );
    expect(started.id).toBe(held.id);
    expect(started.answer.groupRuns).toHaveLength(1);
  });

  it('recomputes the clock when the schedule changes, and drops it when the definition is archived', async () => {
    now = T0;
    const def = await define('changing', {});
    const cron = { cron: '0 30 10 * * *', timeZone: 'America/New_York' };
    const put = await s.api('PUT', `/definitions/${def.id}`, {
      ...definitionBody('changing', [fake.url], { bindings: [], schedule: cron }),
      version: def.version,
    });
    expect(put.status).toBe(200);
    expect((await state('changing')).nextFireAt).toBe('2026-03-02T15:30:00.000Z'); // 10:30 EST
    expect((await s.api('POST', `/definitions/${def.id}/archive`)).status).toBe(200);
    expect((await s.api('GET', '/definitions/changing/schedule')).status).toBe(404);
  });

  it('refuses a definition with nothing to start it, and a message under a source Ferry reserves', async () => {
    const none = await s.api('POST', '/definitions', definitionBody('nothing', [fake.url], { bindings: [] }));
    expect(none.status).toBe(422);
    expect(none.body.error.details).toEqual([expect.objectContaining({ path: 'bindings' })]);
    const bound = await s.api(
      'POST',
      '/definitions',
      definitionBody('bound-to-ferry', [fake.url], { bindings: [{ source: 'ferry.schedule', event: 'x' }] }),
    );
    expect(bound.status).toBe(422);
    expect(bound.body.error.details).toEqual([expect.objectContaining({ path: 'bindings[0].source' })]);
    const forged = await s.api(
      'POST',
      '/triggers',
      { messageId: 'x@2026-03-02T09:01:00.000Z', source: 'ferry.schedule', event: 'every-minute' },
      triggerToken(),
    );
    expect(forged.status).toBe(422);
    expect(forged.body.error.details).toEqual([expect.objectContaining({ path: 'source' })]);
  });
});

// On PostgreSQL a pass takes the fires due within FERRY_SCHEDULE_LEAD_MS, writes them ahead and commits at their
// time: a thousand fires are stored when due, not when written. Until then nothing of them is visible.
describe('a schedule fired ahead on postgres', () => {
  let s: SchedulerUnderTest;
  let fake: FakeDownstream;
  let now = T0;

  beforeAll(async () => {
    fake = await new FakeDownstream({ behaviour: 'manual' }).start();
    s = await startTestScheduler('postgres', { FERRY_SCHEDULE_LEAD_MS: '2000' }, { overrides: { clock: () => now } });
    await s.handle.app.get(ScheduleFirer).onModuleDestroy();
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  it('is written within the lead but stored, visible and started at its time', async () => {
    const res = await s.api(
      'POST',
      '/definitions',
      definitionBody('ahead', [fake.url], { bindings: [], schedule: { everySeconds: 60 } }),
    );
    expect(res.status).toBe(201);
    const due = Date.parse('2026-03-02T09:01:00.000Z');
    const listed = async () => (await s.api('GET', '/definitions/ahead/schedule')).body.fires as any[];
    // One second before its time (the clock stands still; the pass waits out that second in real time).
    now = due - 1000;
    const pass = s.handle.app.get(ScheduleFirer).runOnce();
    await new Promise((r) => setTimeout(r, 300));
    expect(await listed()).toEqual([]);
    expect(fake.starts).toHaveLength(0);
    await pass;
    const fires = await listed();
    expect(fires.map((f) => [f.status, f.receivedAt])).toEqual([['ACCEPTED', '2026-03-02T09:01:00.000Z']]);
    await eventually(async () => fake.starts.length === 1, 10_000, 'the dispatch');
    expect((await s.api('GET', '/definitions/ahead/schedule')).body.nextFireAt).toBe('2026-03-02T09:02:00.000Z');
  });
});

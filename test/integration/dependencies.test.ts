import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeDownstream, TEST_DB_TYPES, uniquePrefix } from '#ferry/testing';
import { DependencySweeper } from '../../apps/scheduler/src/dependencies/dependency-sweeper.js';
import {
  definitionBody,
  eventually,
  fakeDownstreams,
  startTestScheduler,
  type SchedulerUnderTest,
  triggerBody,
  triggerToken,
  waitForGroup,
} from '../support/scheduler.js';

type GroupItem = { id: string; status: string; businessDate: string | null; triggerId: string | null };

describe.each(TEST_DB_TYPES)('dependency triggers on %s', (dbType) => {
  let s: SchedulerUnderTest;
  let fake: FakeDownstream;
  /** Leaves its jobs running until the test reports them (an upstream that takes its time). */
  let slow: FakeDownstream;
  const fakes = fakeDownstreams();

  beforeAll(async () => {
    fake = await fakes.start();
    slow = await fakes.start({ behaviour: 'manual' });
    s = await startTestScheduler(dbType);
  });
  afterAll(async () => {
    await s?.close();
    await fakes.closeAll();
  });

  const define = async (name: string, overrides: Record<string, unknown>, url = fake.url) => {
    const res = await s.api('POST', '/definitions', definitionBody(name, [url], overrides));
    expect(res.status).toBe(201);
    return res.body;
  };
  const dependant = (upstreams: Array<string | { definition: string; policy: string }>, extra = {}) => ({
    bindings: [],
    dependsOn: upstreams.map((u) => (typeof u === 'string' ? { definition: u } : u)),
    ...extra,
  });
  const post = async (name: string, businessDate: string, files = 2) => {
    const res = await s.api('POST', '/triggers', { ...triggerBody(name, files), businessDate }, triggerToken());
    expect(res.status).toBe(202);
    return res.body;
  };
  const runsOf = async (definition: string, businessDate?: string): Promise<GroupItem[]> => {
    const res = await s.api('GET', `/group-runs?definition=${definition}&limit=100`);
    expect(res.status).toBe(200);
    return (res.body.items as GroupItem[]).filter((g) => !businessDate || g.businessDate === businessDate);
  };
  const succeededRun = (definition: string, businessDate: string) =>
    eventually(
      async () => (await runsOf(definition, businessDate)).find((g) => g.status === 'SUCCEEDED'),
      15_000,
      `${definition} to succeed for ${businessDate}`,
    );
  const sweep = () => s.handle.app.get(DependencySweeper).runOnce();

  it('fires D of the diamond A → (B, C) → D once per date, only after both B and C succeeded', async () => {
    await define('a', {});
    await define('b', dependant(['a']), slow.url);
    await define('c', dependant(['a']));
    await define('d', dependant(['b', 'c']));

    for (const date of ['2026-11-24', '2026-11-25']) {
      const startsBefore = slow.starts.length;
      const a = await post('a', date, 2);
      await waitForGroup(s, a.groupRuns[0].id, 'SUCCEEDED');
      await succeededRun('c', date);
      // B's tasks (A's two files) are with the slow downstream: D waits for B.
      const bJobs = await eventually(
        async () => slow.starts.length - startsBefore >= 2 && slow.starts.slice(startsBefore),
        15_000,
        "b's jobs",
      );
      expect((await runsOf('b', date)).map((g) => g.status)).toEqual(['RUNNING']);
      expect(await runsOf('d', date)).toEqual([]);
      const waiting = await s.api('GET', '/definitions/d/dependencies');
      expect(waiting.body.dates.find((x: { businessDate: string }) => x.businessDate === date)).toEqual({
        businessDate: date,
        met: false,
        missing: ['b'],
        fired: null,
      });

      for (const job of bJobs) await slow.report(job.jobId, { status: 'SUCCEEDED' });
      const d = await succeededRun('d', date);
      // Without files of its own, D's tasks are its upstreams' files: B's (A's two), then C's (the same two).
      const detail = await s.api('GET', `/group-runs/${d.id}`);
      expect(detail.body.tasks.map((t: { file: { name: string } }) => t.file.name)).toEqual([
        'f-0.ndjson',
        'f-1.ndjson',
        'f-0.ndjson',
        'f-1.ndjson',
      ]);
      const trigger = await s.api('GET', `/triggers/${d.triggerId}`);
      expect(trigger.body).toMatchObject({ source: 'ferry.dependency', status: 'ACCEPTED', businessDate: date });
    }

    // The backstop re-checks every success of the last days and starts nothing more.
    expect((await sweep()).started).toBe(0);
    expect((await runsOf('d')).map((g) => g.businessDate).sort()).toEqual(['2026-11-24', '2026-11-25']);
    const view = await s.api('GET', '/definitions/d/dependencies');
    expect(view.status).toBe(200);
    expect(view.body.upstream).toEqual([
      { definition: 'b', policy: 'ONCE_PER_DATE' },
      { definition: 'c', policy: 'ONCE_PER_DATE' },
    ]);
    expect(view.body.dates.map((x: { met: boolean; fired: string | null }) => [x.met, x.fired !== null])).toEqual([
      [true, true],
      [true, true],
    ]);
    const a = await s.api('GET', '/definitions/a/dependencies');
    expect(a.body.dependants).toEqual([
      { definition: 'b', policy: 'ONCE_PER_DATE' },
      { definition: 'c', policy: 'ONCE_PER_DATE' },
    ]);
  });

  it('refuses a cycle, a self-dependency and an unknown upstream (422), changing nothing', async () => {
    await define('k1', {});
    await define('k2', dependant(['k1']));
    await define('k3', dependant(['k2']));
    const k1 = (await s.api('GET', '/definitions/k1')).body;
    const cycle = await s.api('PUT', `/definitions/${k1.id}`, {
      ...definitionBody('k1', [fake.url], dependant(['k3'])),
      bindings: [{ source: 'billing', event: 'k1.ready' }],
      version: k1.version,
    });
    expect(cycle.status).toBe(422);
    expect(cycle.body.error.details).toEqual([{ path: 'dependsOn[0]', problem: 'closes a cycle: k1 → k3 → k2 → k1' }]);
    const after = (await s.api('GET', '/definitions/k1')).body;
    expect(after.version).toBe(k1.version);
    expect(after.dependsOn).toBeUndefined();
    expect((await s.api('GET', '/definitions/k3/dependencies')).body.dependants).toEqual([]);

    const self = await s.api('POST', '/definitions', definitionBody('k4', [fake.url], dependant(['k4'])));
    expect(self.status).toBe(422);
    expect(self.body.error.details).toEqual([{ path: 'dependsOn[0]', problem: 'names the definition itself' }]);
    const unknown = await s.api('POST', '/definitions', definitionBody('k5', [fake.url], dependant(['k1', 'nope'])));
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details).toEqual([{ path: 'dependsOn[1]', problem: 'names no definition' }]);
    expect((await s.api('GET', '/definitions/k4')).status).toBe(404);
    expect((await s.api('GET', '/definitions/k5')).status).toBe(404);
    // An upstream others depend on keeps its name.
    const k2 = (await s.api('GET', '/definitions/k2')).body;
    const renamed = await s.api('PUT', `/definitions/${k2.id}`, {
      ...definitionBody('k2-renamed', [fake.url], dependant(['k1'])),
      version: k2.version,
    });
    expect(renamed.status).toBe(422);
    expect(renamed.body.error.details[0].path).toBe('name');
  });

  it('fires an EVERY_UPSTREAM_SUCCESS dependant again when its upstream is rerun; a ONCE_PER_DATE one not', async () => {
    await define('u', {});
    await define('every', dependant([{ definition: 'u', policy: 'EVERY_UPSTREAM_SUCCESS' }]));
    await define('once', dependant([{ definition: 'u', policy: 'ONCE_PER_DATE' }]));
    const date = '2026-11-26';
    const u = await post('u', date, 1);
    await waitForGroup(s, u.groupRuns[0].id, 'SUCCEEDED');
    await succeededRun('every', date);
    await succeededRun('once', date);

    const rerun = await s.api('POST', `/group-runs/${u.groupRuns[0].id}/rerun`, { from: 'start' });
    expect(rerun.status).toBe(200);
    await waitForGroup(s, u.groupRuns[0].id, 'SUCCEEDED');
    await eventually(
      async () => (await runsOf('every', date)).filter((g) => g.status === 'SUCCEEDED').length === 2,
      15_000,
      'every to run twice',
    );
    expect((await sweep()).started).toBe(0);
    expect(await runsOf('every', date)).toHaveLength(2);
    expect(await runsOf('once', date)).toHaveLength(1);
  });

  it('holds a bound message until its upstreams succeed, then starts it with its own files', async () => {
    await define('up', {});
    await define('held', { dependsOn: [{ definition: 'up' }] });
    const date = '2026-11-27';
    const early = await post('held', date, 3);
    expect(early.groupRuns).toEqual([]);
    expect(early.waiting).toEqual([{ definition: 'held', businessDate: date, missing: ['up'] }]);
    const waiting = await s.api('GET', `/triggers/${early.triggerId}`);
    expect(waiting.body.status).toBe('WAITING');
    expect(waiting.body.reason).toContain('up');

    const up = await post('up', date, 1);
    await waitForGroup(s, up.groupRuns[0].id, 'SUCCEEDED');
    const run = await succeededRun('held', date);
    expect(run.triggerId).toBe(early.triggerId);
    expect((await s.api('GET', `/group-runs/${run.id}`)).body.tasks).toHaveLength(3);
    const started = await s.api('GET', `/triggers/${early.triggerId}`);
    expect(started.body.status).toBe('ACCEPTED');
    expect(started.body.reason).toBeNull();

    // Its upstream met, the next message for the date starts at once.
    const late = await post('held', date, 1);
    expect(late.groupRuns).toHaveLength(1);
    expect(late.waiting).toBeUndefined();
    // No run of its own: the resolver starts only the messages it holds.
    expect((await sweep()).started).toBe(0);
    expect(await runsOf('held', date)).toHaveLength(2);
  });

  it('holds a replayed message the same way, and lists the run it then starts in the replay', async () => {
    const date = '2026-11-29';
    const unmatched = await post('replayed', date, 1);
    expect(unmatched.groupRuns).toEqual([]);
    await define('up2', {});
    await define('replayed', { dependsOn: [{ definition: 'up2' }] });
    const replayed = await s.api('POST', `/triggers/${unmatched.triggerId}/replay`);
    expect(replayed.status).toBe(200);
    expect(replayed.body.replay.groupRuns).toEqual([]);
    expect(replayed.body.replay.waiting).toEqual([{ definition: 'replayed', businessDate: date, missing: ['up2'] }]);

    const up = await post('up2', date, 1);
    await waitForGroup(s, up.groupRuns[0].id, 'SUCCEEDED');
    const run = await succeededRun('replayed', date);
    const after = await s.api('GET', `/triggers/${unmatched.triggerId}`);
    expect(after.body.status).toBe('UNMATCHED');
    expect(after.body.replay.groupRuns.map((g: { id: string }) => g.id)).toEqual([run.id]);
    expect(after.body.replay.waiting).toBeUndefined();
  });

  it('the backstop starts a dependant whose upstream succeeded without the listener acting on it', async () => {
    await define('early', {});
    const date = '2026-11-28';
    const early = await post('early', date, 1);
    await waitForGroup(s, early.groupRuns[0].id, 'SUCCEEDED');
    // Defined after the success: no status change will tell the listener; only the sweep finds it.
    await define('after', dependant(['early']));
    expect(await runsOf('after', date)).toEqual([]);
    expect((await sweep()).started).toBe(1);
    await succeededRun('after', date);
    expect((await sweep()).started).toBe(0);
  });

  it('raises one OVERDUE alert naming the missing upstream once the cutoff passed', async () => {
    await define('never', {});
    // 00:00 UTC today has always passed.
    await define('late', dependant(['never'], { deadline: { cutoff: '00:00', timeZone: 'UTC' } }));
    await sweep();
    await sweep();
    const alerts = await s.api('GET', '/alerts?limit=100');
    const mine = alerts.body.items.filter((a: { definition: string | null }) => a.definition === 'late');
    expect(mine).toHaveLength(1);
    expect(mine[0].kind).toBe('OVERDUE');
    expect(mine[0].message).toContain('waiting for never');
    expect(mine[0].occurrences).toBe(1);
  });
});

describe('dependency triggers on two instances (PostgreSQL)', () => {
  let s1: SchedulerUnderTest;
  let s2: SchedulerUnderTest;
  const fakes = fakeDownstreams();
  let url: string;

  beforeAll(async () => {
    url = (await fakes.start()).url;
    const shared = { FERRY_QUEUE_PREFIX: uniquePrefix('dep') };
    s1 = await startTestScheduler('postgres', shared);
    s2 = await startTestScheduler('postgres', shared, { db: s1.db, keepDb: true });
  });
  afterAll(async () => {
    await s2?.close();
    await s1?.close();
    await fakes.closeAll();
  });

  it('starts a dependant once when both instances sweep at the same time', async () => {
    const date = '2026-11-30';
    const define = async (name: string, overrides: Record<string, unknown>) =>
      expect((await s1.api('POST', '/definitions', definitionBody(name, [url], overrides))).status).toBe(201);
    await define('p', {});
    await define('q', { bindings: [], dependsOn: [{ definition: 'p' }] });
    await define('h', { dependsOn: [{ definition: 'p' }] });
    const held = await s1.api('POST', '/triggers', { ...triggerBody('h', 1), businessDate: date }, triggerToken());
    expect(held.body.waiting).toHaveLength(1);
    // Paused, the dependants are passed over by the listener when p succeeds: only the sweeps start them.
    for (const name of ['q', 'h']) expect((await s1.api('POST', `/definitions/${name}/pause`)).status).toBe(200);
    const p = await s1.api('POST', '/triggers', { ...triggerBody('p', 1), businessDate: date }, triggerToken());
    await waitForGroup(s1, p.body.groupRuns[0].id, 'SUCCEEDED');
    for (const name of ['q', 'h']) expect((await s1.api('POST', `/definitions/${name}/resume`)).status).toBe(200);

    const sweeps = [s1, s2, s1, s2].map((s) => s.handle.app.get(DependencySweeper).runOnce());
    const started = (await Promise.all(sweeps)).reduce((sum, r) => sum + r.started, 0);
    expect(started).toBe(2);
    for (const name of ['q', 'h']) {
      const runs = await s1.api('GET', `/group-runs?definition=${name}`);
      expect(runs.body.items.map((g: GroupItem) => g.businessDate)).toEqual([date]);
    }
    expect((await s2.api('GET', `/triggers/${held.body.triggerId}`)).body.status).toBe('ACCEPTED');
  });
});

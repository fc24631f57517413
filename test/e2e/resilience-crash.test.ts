import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { FakeDownstream } from '#ferry/testing';
import { SchedulerCluster } from '../support/scheduler-process.js';
import { eventually } from '../support/scheduler.js';

// The scheduler as deployed (node dist/…/main.js) against the real PostgreSQL and Redis; the fake
// downstream runs here and counts what reaches it. The database is the system of record: neither a
// kill -9 nor the loss of every Redis key may lose a task or start a sync twice.
jest.setTimeout(120_000);

/** Every task SUCCEEDED, each with exactly one sync start, made by the dispatch the task ended with. */
function expectEachStartedOnce(
  groups: Array<{ status: string; tasks: any[] }>,
  fake: FakeDownstream,
  total: number,
): void {
  expect(groups.map((g) => g.status)).toEqual(groups.map(() => 'SUCCEEDED'));
  const tasks = groups.flatMap((g) => g.tasks);
  expect(tasks).toHaveLength(total);
  expect(fake.starts).toHaveLength(total);
  const byTask = new Map<string, string[]>();
  for (const s of fake.starts)
    byTask.set(s.body.taskRunId, [...(byTask.get(s.body.taskRunId) ?? []), s.body.dispatchId]);
  for (const t of tasks) expect(byTask.get(t.id)).toEqual([t.dispatchId]);
  // Re-sends after a crash reuse the idempotency key; no key ever started a second job.
  expect(new Set(fake.starts.map((s) => s.key)).size).toBe(total);
}

describe('scheduler processes: kill -9 and the loss of Redis', () => {
  let cluster: SchedulerCluster;
  const fakes: FakeDownstream[] = [];

  beforeAll(async () => {
    cluster = await SchedulerCluster.create();
  });
  afterAll(async () => {
    await cluster?.close();
    await Promise.all(fakes.map((f) => f.close()));
  });

  it('kill -9 with 1,000 live tasks, then a restart: all finish, one start per task and dispatch', async () => {
    // Jobs report after 1.5 s, so the kill finds tasks in every state;
    // reports to the dead process are lost and the poller recovers them.
    const fake = await new FakeDownstream({ delayMs: 1500 }).start();
    fakes.push(fake);
    const first = await cluster.spawn();
    await cluster.define(first, 'crash', fake.url);
    const gid = await cluster.trigger(first, 'crash', 1000);
    await eventually(async () => fake.starts.length >= 300, 30_000, '300 starts');
    await first.kill('SIGKILL');
    const startedAtKill = fake.starts.length;
    expect(startedAtKill).toBeLessThan(1000);

    const second = await cluster.spawn();
    const groups = await cluster.waitForGroups(second, [gid], 90_000);
    const tasks = (await cluster.api(second, 'GET', `/group-runs/${gid}`)).body;
    expect(tasks.counts).toEqual({ total: 1000, succeeded: 1000, failed: 0, cancelled: 0, skipped: 0 });
    // getGroup answers at most 1000 tasks: all of them here.
    expectEachStartedOnce(groups, fake, 1000);
  });

  it(
    'every Redis key of the cluster deleted mid-run (FLUSHALL, scoped to our prefix): ' +
      'every task still finishes, once',
    async () => {
      const fake = await new FakeDownstream({ delayMs: 1000 }).start();
      fakes.push(fake);
      const child = cluster.children.at(-1)!;
      await cluster.define(child, 'flushed', fake.url);
      const gids = [await cluster.trigger(child, 'flushed', 200), await cluster.trigger(child, 'flushed', 200)];
      await eventually(async () => fake.starts.length >= 150, 30_000, '150 starts');
      expect(await cluster.wipeRedis()).toBeGreaterThan(0);
      const groups = await cluster.waitForGroups(child, gids, 60_000);
      expectEachStartedOnce(groups, fake, 400);
    },
  );
});

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { FakeDownstream } from '#ferry/testing';
import { SchedulerCluster } from '../support/scheduler-process.js';

// Three scheduler processes on one PostgreSQL database and one Redis prefix share the work of
// 3,000 tasks: every task is dispatched once, and the totals are what one instance would produce.
// The same on a Redis Cluster of three masters, where the prefix's hash tag keeps every key in one slot.
jest.setTimeout(240_000);

describe.each(['single', 'cluster'] as const)('three scheduler processes on Redis (%s)', (redis) => {
  let cluster: SchedulerCluster;
  let fake: FakeDownstream;

  beforeAll(async () => {
    cluster = await SchedulerCluster.create({ redis });
    fake = await new FakeDownstream({ delayMs: 200 }).start();
  });
  afterAll(async () => {
    await cluster?.close();
    await fake?.close();
  });

  it('share 3,000 tasks with no dispatch twice and the same totals', async () => {
    const nodes = [await cluster.spawn(), await cluster.spawn(), await cluster.spawn()];
    await cluster.define(nodes[0], 'shared', fake.url);
    // 30 groups of 100, posted round-robin, so each instance takes triggers and BullMQ spreads the rounds.
    const gids = await Promise.all(Array.from({ length: 30 }, (_, i) => cluster.trigger(nodes[i % 3], 'shared', 100)));
    const groups = await cluster.waitForGroups(nodes[1], gids, 200_000);
    expect(groups.map((g) => g.status)).toEqual(gids.map(() => 'SUCCEEDED'));
    const tasks = groups.flatMap((g) => g.tasks);
    expect(tasks).toHaveLength(3000);
    // On a loaded machine a start may time out and be attempted again: under the same key, so the downstream
    // answers with the job it has. Any other reason for a second attempt would be a fault here.
    const again = tasks.filter((t) => t.attempt !== 1).map((t) => t.lastError?.code ?? 'none');
    expect(again.filter((code) => code !== 'DOWNSTREAM_TIMEOUT')).toEqual([]);
    expect(fake.starts).toHaveLength(3000);
    const starts = new Map<string, number>();
    for (const s of fake.starts) starts.set(s.body.taskRunId, (starts.get(s.body.taskRunId) ?? 0) + 1);
    expect(starts.size).toBe(3000);
    expect([...starts.values()].every((n) => n === 1)).toBe(true);
    // A request may be re-sent (an instance polling a task whose HTTP answer another has not recorded
    // yet), but only under the task's one dispatch key, which never starts a second job.
    const keys = new Set(tasks.map((t) => t.dispatchId));
    expect(keys.size).toBe(3000);
    expect(fake.requests.every((r) => keys.has(r.key))).toBe(true);
    // The work really was shared: the callback URL names the instance that dispatched.
    const origins = new Set(fake.starts.map((s) => new URL(s.body.callbackUrl).origin));
    expect(origins.size).toBeGreaterThanOrEqual(2);
    const stats = (await cluster.api(nodes[2], 'GET', '/stats')).body;
    expect(stats.taskRuns).toEqual({ SUCCEEDED: 3000 });
    // The queues really were on this Redis (or cluster): their keys are there under the prefix.
    expect(await cluster.keyCount()).toBeGreaterThan(0);
  });
});

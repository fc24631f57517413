import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import type { Cluster } from 'ioredis';
import { createRedis, JobName } from '#ferry/queue';
import { FakeDownstream, REDIS_CLUSTER_ENV, useRedisCluster } from '#ferry/testing';
import {
  definitionBody,
  eventually,
  startTestScheduler,
  type SchedulerUnderTest,
  triggerBody,
  waitForGroup,
} from '../support/scheduler.js';

// A scheduler on a Redis Cluster (FERRY_REDIS_CLUSTER_NODES): a BullMQ producer's trigger message on the
// cluster becomes a run whose tasks go out through the task queue and the target guard (a cap and a
// rate, so its permits and rate keys are written), and no key anyone wrote lies outside a hash tag.
describe('a scheduler on a Redis Cluster', () => {
  let s: SchedulerUnderTest;
  let fake: FakeDownstream;
  let producer: Cluster;
  let queue: Queue;

  beforeAll(async () => {
    await useRedisCluster();
    fake = await new FakeDownstream().start();
    s = await startTestScheduler('postgres', REDIS_CLUSTER_ENV);
    producer = createRedis(s.config.redis.connection, 'producer') as Cluster;
    queue = new Queue(s.config.triggerQueue, { connection: producer, prefix: s.config.redis.prefix });
    const target = { urls: [fake.url], maxConcurrent: 2, ratePerSecond: 1000 };
    expect((await s.api('POST', '/definitions', definitionBody('clustered', [fake.url], { target }))).status).toBe(201);
  });
  afterAll(async () => {
    await queue?.close();
    producer?.disconnect();
    await s?.close();
    await fake?.close();
  });

  it('takes a trigger message from the queue and runs its tasks to SUCCEEDED', async () => {
    const job = await queue.add(JobName.trigger, triggerBody('clustered', 5, 'm-clustered'));
    const result = await eventually(async () => (await queue.getJob(job.id!))?.returnvalue, 15_000, 'the trigger');
    expect(result).toMatchObject({ duplicate: false, triggerId: expect.any(String) });
    const [run] = (await s.api('GET', '/group-runs?definition=clustered')).body.items;
    expect((await waitForGroup(s, run.id, 'SUCCEEDED')).counts.total).toBe(5);
    expect(new Set(fake.starts.map((x) => x.body.taskRunId)).size).toBe(5);
  });

  it("keeps its keys in its prefix's one slot, and writes none outside a hash tag", async () => {
    const prefix = s.config.redis.prefix;
    const keysByNode = await Promise.all(producer.nodes('master').map((node) => node.keys('*')));
    const all = keysByNode.flat();
    expect(all.filter((k) => !/^\{[^}]+\}/.test(k))).toEqual([]);
    const ours = keysByNode.map((keys) => keys.filter((k) => k.startsWith(prefix)));
    expect(ours.filter((keys) => keys.length > 0)).toHaveLength(1);
    const mine = ours.flat();
    expect(mine).toContain(`${prefix}:target:targets`);
    expect(mine.some((k) => k.startsWith(`${prefix}:${s.config.triggerQueue}:`))).toBe(true);
  });
});

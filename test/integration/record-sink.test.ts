import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Agent } from 'undici';
import type { DatasetSpec } from '#ferry/datasets';
import { DEVELOPMENT_EGRESS_ALLOW, EgressGuard, parseEgressAllow } from '#ferry/egress';
import { EnvReader, readRedis } from '#ferry/config';
import { createRedis, type RedisClient } from '#ferry/queue';
import { FakeRecordApi, REDIS_CLUSTER_ENV, TEST_REDIS_URL, uniquePrefix, useRedisCluster } from '#ferry/testing';
import { HttpRecordSink, SinkUnavailable } from '../../apps/consumer/src/sink/http-sink.js';
import { RedisSinkLimiter, UNLIMITED } from '../../apps/consumer/src/sink/sink-limiter.js';
import type { Op } from '../../apps/consumer/src/workers/batch.js';

// The record sink against a fake partner API that enforces its own rate limit, with the shared limit in
// the real Redis; two sinks with their own Redis connections stand for two worker threads or instances.

function spec(url: string, sink: Partial<NonNullable<DatasetSpec['sink']>> = {}): DatasetSpec {
  return {
    name: 'sink-accounts',
    schema: { type: 'object' },
    key: ['id'],
    mapping: {
      table: 'sink_accounts',
      columns: [
        { name: 'account_id', from: 'id', type: 'integer' },
        { name: 'amount', type: 'number' },
      ],
    },
    sink: { type: 'http', url, ...sink },
  };
}

/** Upserts of ids first..first+n-1 at file positions first..; `amount` negative where `bad` says. */
function upserts(first: number, n: number, bad: (id: number) => boolean = () => false): Op[] {
  return Array.from({ length: n }, (_, i) => {
    const id = first + i;
    return { kind: 'upsert', row: [id, bad(id) ? -1 : id * 10], key: JSON.stringify([id]), position: id };
  });
}

describe('HTTP record sink', () => {
  const agent: Agent = new EgressGuard(parseEgressAllow(DEVELOPMENT_EGRESS_ALLOW).config).agent();
  const prefix = `ferry-test-sink-${randomUUID()}:`;
  const redises: Redis[] = [];
  let api: FakeRecordApi;

  beforeAll(() => {
    for (let i = 0; i < 2; i++) redises.push(new Redis(TEST_REDIS_URL));
  });
  afterEach(() => api?.close());
  afterAll(async () => {
    const keys = await redises[0].keys(`${prefix}*`);
    if (keys.length) await redises[0].del(...keys);
    await Promise.all(redises.map((r) => r.quit()));
    await agent.close();
  });

  /** A clock only sleeps move: Retry-After and backoff are observed without waiting for them. */
  function fakeTime() {
    const t = { now: 1_000_000, slept: [] as number[] };
    const sleep = (ms: number) => {
      t.slept.push(ms);
      t.now += ms;
      return Promise.resolve();
    };
    return { t, sleep, clock: () => t.now };
  }

  it('shares one rate limit across sinks: every record applied once, never more than one window over the limit', async () => {
    api = await new FakeRecordApi({ ratePerSecond: 40 }).start();
    await expectOneSharedLimit(api, agent, redises, prefix);
  });

  it('honours Retry-After on a 429 and retries a 5xx with backoff', async () => {
    const time = fakeTime();
    api = await new FakeRecordApi({ ratePerSecond: 1, clock: time.clock }).start();
    const sink = new HttpRecordSink(spec(api.url), {
      dispatcher: agent,
      limiter: UNLIMITED,
      concurrency: 1,
      sleep: time.sleep,
    });
    const first = await sink.send('job-2', 0, upserts(1, 3));
    expect(first.inserted).toBe(3);
    expect(api.requests.map((r) => r.status)).toEqual([200, 429, 200, 429, 200]);
    expect(time.t.slept).toEqual([1000, 1000]);

    time.t.slept.length = 0;
    time.t.now += 1000;
    api.failNext = { count: 2, status: 503 };
    const second = await sink.send('job-2', 0, upserts(4, 1));
    expect(second.inserted).toBe(1);
    expect(time.t.slept).toEqual([200, 400]);
    expect(api.applied.map((i) => i.key)).toEqual([1, 2, 3, 4].map((id) => ({ account_id: id })));
  });

  it('retries a request that timed out', async () => {
    const time = fakeTime();
    api = await new FakeRecordApi().start();
    api.stallNext = 1;
    const sink = new HttpRecordSink(spec(api.url), {
      dispatcher: agent,
      limiter: UNLIMITED,
      sleep: time.sleep,
      timeoutMs: 300,
    });
    expect((await sink.send('job-7', 0, upserts(1, 1))).inserted).toBe(1);
    expect(time.t.slept).toEqual([200]);
    expect(api.applied).toHaveLength(1);
  });

  it('gives up on an endpoint that stays unavailable, so the page is not checkpointed', async () => {
    const time = fakeTime();
    api = await new FakeRecordApi().start();
    api.failNext = { count: 100, status: 502 };
    const sink = new HttpRecordSink(spec(api.url), {
      dispatcher: agent,
      limiter: UNLIMITED,
      sleep: time.sleep,
      attempts: 3,
    });
    await expect(sink.send('job-3', 0, upserts(1, 1))).rejects.toThrow(SinkUnavailable);
    expect(api.requests).toHaveLength(3);
    expect(api.applied).toHaveLength(0);
  });

  it('lists the records the endpoint refused with its answer and goes on with the rest', async () => {
    api = await new FakeRecordApi({
      refuse: (item) => ((item.record?.amount as number) < 0 ? 'amount: must not be negative' : undefined),
    }).start();
    const sink = new HttpRecordSink(spec(api.url, { batch: 4 }), { dispatcher: agent, limiter: UNLIMITED });
    const result = await sink.send(
      'job-4',
      0,
      upserts(1, 10, (id) => id === 3 || id === 8),
    );
    expect(result.inserted).toBe(8);
    expect(result.rejected).toEqual([
      { position: 3, record: { account_id: 3, amount: -1 }, reasons: ['amount: must not be negative'] },
      { position: 8, record: { account_id: 8, amount: -1 }, reasons: ['amount: must not be negative'] },
    ]);
    expect(api.requests.map((r) => r.items.length)).toEqual([4, 4, 2]);
  });

  it('re-sends a page after a kill without applying any record twice, with the same counts', async () => {
    api = await new FakeRecordApi().start();
    const sink = new HttpRecordSink(spec(api.url, { batch: 3 }), { dispatcher: agent, limiter: UNLIMITED });
    await sink.send('job-5', 0, upserts(1, 5));
    // The same file's next page changes two of the rows and deletes one; then the page is sent again,
    // as a consumer killed before its checkpoint does on resume.
    const page: Op[] = [
      { kind: 'upsert', row: [1, 999], key: '[1]', position: 6 },
      { kind: 'upsert', row: [2, 20], key: '[2]', position: 7 },
      { kind: 'delete', row: [3], key: '[3]', position: 8 },
      { kind: 'upsert', row: [1, 1000], key: '[1]', position: 9 },
    ];
    const once = await sink.send('job-5', 0, page);
    const again = await sink.send('job-5', 0, page);
    const expected = { inserted: 0, updated: 2, deleted: 1, unchanged: 1, rejected: [] };
    expect(once).toEqual(expected);
    expect(again).toEqual(expected);
    expect(api.applied).toHaveLength(9);
    expect(api.rows.get(JSON.stringify({ account_id: 1 }))).toEqual({ account_id: 1, amount: 1000 });
    expect(api.rows.has(JSON.stringify({ account_id: 3 }))).toBe(false);
    // A different job sending the same records is new work for the endpoint.
    await sink.send('job-6', 0, upserts(4, 1));
    expect(api.applied).toHaveLength(10);
  });
});

// The same shared limit with the consumer's connections on a Redis Cluster (FERRY_REDIS_CLUSTER_NODES).
describe('HTTP record sink on a Redis Cluster', () => {
  const agent: Agent = new EgressGuard(parseEgressAllow(DEVELOPMENT_EGRESS_ALLOW).config).agent();
  const redises: RedisClient[] = [];
  let api: FakeRecordApi | undefined;

  beforeAll(async () => {
    await useRedisCluster();
    const { connection } = readRedis(new EnvReader({ FERRY_REDIS_URL: TEST_REDIS_URL, ...REDIS_CLUSTER_ENV }));
    for (let i = 0; i < 2; i++) redises.push(createRedis(connection, 'producer'));
  });
  afterAll(async () => {
    await api?.close();
    redises.forEach((r) => r.disconnect());
    await agent.close();
  });

  it('shares one rate limit across sinks', async () => {
    api = await new FakeRecordApi({ ratePerSecond: 40 }).start();
    // A hash tag, like every test key on the cluster (the scheduler's suite checks that none lies outside one).
    await expectOneSharedLimit(api, agent, redises, `${uniquePrefix('sink')}:`);
  });
});

/** Two sinks, each with its own Redis connection, send 50 records each to `api`, which allows 40/s. */
async function expectOneSharedLimit(api: FakeRecordApi, agent: Agent, redises: RedisClient[], prefix: string) {
  const ds = spec(api.url, { ratePerSecond: 40 });
  const sinks = redises.map(
    (r) => new HttpRecordSink(ds, { dispatcher: agent, limiter: new RedisSinkLimiter(r, prefix) }),
  );
  const started = Date.now();
  const [a, b] = await Promise.all([
    sinks[0].send('job-1', 0, upserts(1, 50)),
    sinks[1].send('job-1', 1, upserts(51, 50)),
  ]);
  const seconds = Math.ceil((Date.now() - started) / 1000);

  expect(a.inserted + b.inserted).toBe(100);
  expect(api.applied).toHaveLength(100);
  expect(new Set(api.applied.map((i) => i.idempotencyKey)).size).toBe(100);
  // Everything the sinks sent, 429s included, fits the limit over the run plus at most one window.
  expect(api.requests.length).toBeLessThanOrEqual(40 * (seconds + 1));
}

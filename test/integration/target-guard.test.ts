import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EnvReader, readRedis } from '#ferry/config';
import { createRedis, type RedisClient } from '#ferry/queue';
import { REDIS_CLUSTER_ENV, TEST_REDIS_URL, uniquePrefix, useRedisCluster } from '#ferry/testing';
import { TargetGuard } from '../../apps/scheduler/src/dispatch/target-guard.js';
import type { GroupSpec } from '../../apps/scheduler/src/groups/group-status.js';
import { DEFAULT_TUNING } from '../../apps/scheduler/src/index.js';
import type { TargetDefaults } from '../../apps/scheduler/src/scheduler.config.js';

// Two scheduler instances' guards on one real Redis, and on a Redis Cluster (its scripts and keys all
// under the prefix's hash tag): a breaker opened by one instance's failures holds the other's dispatches
// too, at most a moment (200 ms) after it saw the breaker closed; caps and rates count both instances.
describe.each([
  ['one Redis', {}],
  ['a Redis Cluster', REDIS_CLUSTER_ENV],
])('target guard shared through %s', (_, env: Record<string, string>) => {
  let a: RedisClient;
  let b: RedisClient;
  const url = 'http://downstream.test:8080';
  const spec = { target: { urls: [url] }, attemptTimeoutSeconds: 30 } as unknown as GroupSpec;
  const defaults = {
    maxConcurrent: 0,
    ratePerSecond: 0,
    breakerFailures: 3,
    breakerCooldownMs: 60_000,
    blockedRetryMs: 500,
  };

  beforeAll(async () => {
    if ('FERRY_REDIS_CLUSTER_NODES' in env) await useRedisCluster();
    const { connection } = readRedis(new EnvReader({ FERRY_REDIS_URL: TEST_REDIS_URL, ...env }));
    a = createRedis(connection, 'producer');
    b = createRedis(connection, 'producer');
  });
  afterAll(() => {
    a.disconnect();
    b.disconnect();
  });

  it("opens for every instance on one instance's failures; the others learn it within 200 ms", async () => {
    const prefix = uniquePrefix('guard');
    const one = new TargetGuard(a, guardConfig(prefix, defaults));
    const two = new TargetGuard(b, guardConfig(prefix, defaults));
    expect(await two.admit(url, 'task-0', spec)).toEqual({ ok: true }); // seen closed: trusted for a moment
    for (let i = 0; i < 3; i++) await one.record(url, 'failure', 'DOWNSTREAM_HTTP_503: down');
    expect(await one.admit(url, 'task-1', spec)).toMatchObject({ ok: false, reason: 'CIRCUIT_OPEN' });
    await new Promise((r) => setTimeout(r, 250));
    expect(await two.admit(url, 'task-2', spec)).toMatchObject({ ok: false, reason: 'CIRCUIT_OPEN' });
    expect((await two.list())[0]).toMatchObject({ url, breaker: 'OPEN', consecutiveFailures: 3 });
  });

  it('stops trusting a closed sighting at once when this instance sees a failure', async () => {
    const prefix = uniquePrefix('guard');
    const one = new TargetGuard(a, guardConfig(prefix, { ...defaults, breakerFailures: 1 }));
    expect(await one.admit(url, 'task-0', spec)).toEqual({ ok: true });
    await one.record(url, 'failure', 'DOWNSTREAM_TIMEOUT: slow');
    expect(await one.admit(url, 'task-1', spec)).toMatchObject({ ok: false, reason: 'CIRCUIT_OPEN' });
  });

  it('caps the dispatches in flight across both instances; a released permit admits the next', async () => {
    const prefix = uniquePrefix('guard');
    const one = new TargetGuard(a, guardConfig(prefix, { ...defaults, maxConcurrent: 2 }));
    const two = new TargetGuard(b, guardConfig(prefix, { ...defaults, maxConcurrent: 2 }));
    expect(await one.admit(url, 'task-1', spec)).toEqual({ ok: true });
    expect(await two.admit(url, 'task-2', spec)).toEqual({ ok: true });
    expect(await one.admit(url, 'task-3', spec)).toMatchObject({ ok: false, reason: 'CONCURRENCY_LIMIT' });
    expect(await two.admit(url, 'task-3', spec)).toMatchObject({ ok: false, reason: 'CONCURRENCY_LIMIT' });
    expect((await one.list())[0]).toMatchObject({ url, inFlight: 2 });
    await two.release([{ url, holder: 'task-1' }]);
    expect(await one.admit(url, 'task-3', spec)).toEqual({ ok: true });
  });

  it('spends one rate budget for both instances', async () => {
    const prefix = uniquePrefix('guard');
    // 0.5/s: one dispatch per 2 s window, which starts at the first one.
    const one = new TargetGuard(a, guardConfig(prefix, { ...defaults, ratePerSecond: 0.5 }));
    const two = new TargetGuard(b, guardConfig(prefix, { ...defaults, ratePerSecond: 0.5 }));
    expect(await one.admit(url, 'task-1', spec)).toEqual({ ok: true });
    expect(await two.admit(url, 'task-2', spec)).toMatchObject({ ok: false, reason: 'RATE_LIMIT' });
  });
});

/** A scheduler's configuration as the guard reads it: a probe's lease of 5 s, a closed breaker trusted for 200 ms. */
function guardConfig(prefix: string, targets: TargetDefaults) {
  return {
    redis: { connection: { host: '', port: 0, db: 0 }, prefix },
    targets,
    dispatchTimeoutMs: 4000,
    tuning: { ...DEFAULT_TUNING, breakerTrustMs: 200 },
  };
}

import { EnvReader, readRedis } from '#ferry/config';
import type { RedisConnectionConfig } from '#ferry/queue';
import { REDIS_CLUSTER_ENV, stopRedisCluster, TEST_REDIS_URL, useRedisCluster } from '#ferry/testing';

/**
 * FERRY_BENCH_REDIS=cluster: the lifecycle (every scheduler process) and raw BullMQ on the local Redis
 * Cluster of three masters (scripts/redis-cluster.sh, started if none runs, stopped after if started
 * here) instead of the one Redis (`single`, the default).
 */
const mode = process.env.FERRY_BENCH_REDIS ?? 'single';
if (mode !== 'single' && mode !== 'cluster') throw new Error(`FERRY_BENCH_REDIS=${mode}: single or cluster`);
export const onRedisCluster = mode === 'cluster';

/** The Redis settings every scheduler of the run is given. */
export const BENCH_REDIS_ENV: Record<string, string> = {
  FERRY_REDIS_URL: TEST_REDIS_URL,
  ...(onRedisCluster ? REDIS_CLUSTER_ENV : {}),
};

export function benchRedisConnection(): RedisConnectionConfig {
  return readRedis(new EnvReader(BENCH_REDIS_ENV)).connection;
}

/** Starts the cluster when the run is on one and none runs; true when started here. */
export async function startBenchRedis(): Promise<boolean> {
  return onRedisCluster && (await useRedisCluster());
}

export async function stopBenchRedis(started: boolean): Promise<void> {
  if (started) await stopRedisCluster();
}

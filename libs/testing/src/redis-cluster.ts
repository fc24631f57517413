import { execFile } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/** Seed nodes of the Redis Cluster the tests and the benchmark use (scripts/redis-cluster.sh's ports). */
export const TEST_REDIS_CLUSTER_NODES =
  process.env.FERRY_TEST_REDIS_CLUSTER_NODES ?? '127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103';

/** What puts an app on that cluster, beside its usual settings. */
export const REDIS_CLUSTER_ENV = { FERRY_REDIS_CLUSTER_NODES: TEST_REDIS_CLUSTER_NODES };

/** Left by a test process that started the cluster: Jest's global teardown stops it (and only then). */
export const CLUSTER_STARTED_BY_TESTS = join(tmpdir(), 'ferry-redis-cluster-started-by-tests');

const run = promisify(execFile);

/**
 * The local Redis Cluster, started unless it is running already (`.ci/run` starts it too); true when
 * this call started it, which leaves a marker for Jest's global teardown
 * (test/support/redis-cluster-teardown.mjs) to stop it. A cluster named by
 * FERRY_TEST_REDIS_CLUSTER_NODES is someone else's: it is used as it is.
 */
export async function useRedisCluster(): Promise<boolean> {
  if (process.env.FERRY_TEST_REDIS_CLUSTER_NODES) return false;
  const { stdout } = await run(clusterScript(), ['start']);
  if (stdout.trim() !== 'started') return false;
  writeFileSync(CLUSTER_STARTED_BY_TESTS, `${process.pid}\n`);
  return true;
}

/** Stops the local cluster (one `useRedisCluster` started). */
export async function stopRedisCluster(): Promise<void> {
  await run(clusterScript(), ['stop']);
  rmSync(CLUSTER_STARTED_BY_TESTS, { force: true });
}

/** scripts/redis-cluster.sh, found from here whether this runs as source (Jest) or from dist/ (the benchmark). */
function clusterScript(): string {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const script = join(dir, 'scripts', 'redis-cluster.sh');
    if (existsSync(script)) return script;
  }
  throw new Error('scripts/redis-cluster.sh not found above libs/testing');
}

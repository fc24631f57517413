// Jest's global teardown: stops the local Redis Cluster if a test started it (useRedisCluster in
// libs/testing leaves the marker); a cluster that was running before the tests is left running.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function stopRedisClusterStartedByTests() {
  const marker = join(tmpdir(), 'ferry-redis-cluster-started-by-tests');
  if (!existsSync(marker)) return;
  execFileSync(join(import.meta.dirname, '../../scripts/redis-cluster.sh'), ['stop'], { stdio: 'inherit' });
  rmSync(marker, { force: true });
}

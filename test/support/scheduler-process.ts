import { Cluster, Redis } from 'ioredis';
import {
  DEV_MODE_ENV,
  call,
  type ChildApp,
  createTestDatabase,
  REDIS_CLUSTER_ENV,
  spawnApp,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
  useRedisCluster,
} from '#ferry/testing';
import { DIST_SCHEDULER_MAIN, ensureSchedulerBuilt } from './build.js';
import { adminToken, definitionBody, eventually, triggerBody, triggerToken } from './scheduler.js';

/**
 * Scheduler processes (built JS, as deployed) sharing one PostgreSQL database and one Redis prefix, on
 * the one Redis or, with `redis: 'cluster'`, on the local Redis Cluster.
 */
export class SchedulerCluster {
  readonly prefix = uniquePrefix('proc');
  readonly children: ChildApp[] = [];
  private constructor(
    readonly db: TestDatabase,
    private readonly redisEnv: Record<string, string>,
  ) {}

  static async create(opts: { redis?: 'single' | 'cluster' } = {}): Promise<SchedulerCluster> {
    if (opts.redis === 'cluster') await useRedisCluster();
    await ensureSchedulerBuilt();
    const redisEnv = opts.redis === 'cluster' ? REDIS_CLUSTER_ENV : {};
    return new SchedulerCluster(await createTestDatabase('postgres'), redisEnv);
  }

  /** `env`: settings of this process besides the cluster's own (its trigger sources, say). */
  async spawn(env: Record<string, string> = {}): Promise<ChildApp> {
    const child = await spawnApp(
      DIST_SCHEDULER_MAIN,
      {
        ...DEV_MODE_ENV,
        FERRY_SCHEDULER_DB_TYPE: 'postgres',
        FERRY_SCHEDULER_DB_URL: this.db.config.url,
        FERRY_SCHEDULER_HOST: '127.0.0.1',
        FERRY_REDIS_URL: TEST_REDIS_URL,
        ...this.redisEnv,
        FERRY_QUEUE_PREFIX: this.prefix,
        FERRY_RECONCILE_INTERVAL_MS: '1000',
        FERRY_OVERDUE_SWEEP_MS: '1000',
        ...env,
      },
      'FERRY_SCHEDULER_PORT',
      { timeoutMs: 30_000 },
    );
    this.children.push(child);
    return child;
  }

  api(
    child: ChildApp,
    method: string,
    path: string,
    body?: unknown,
    token = adminToken(),
  ): Promise<{ status: number; body: any }> {
    return call(method, `${child.url}/api/v1${path}`, { body, token });
  }

  async define(child: ChildApp, name: string, url: string, overrides: Record<string, unknown> = {}): Promise<void> {
    const res = await this.api(
      child,
      'POST',
      '/definitions',
      definitionBody(name, [url], { pollIntervalSeconds: 0.5, attemptTimeoutSeconds: 120, ...overrides }),
    );
    if (res.status !== 201) throw new Error(`definition: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async trigger(child: ChildApp, name: string, files: number): Promise<string> {
    const res = await this.api(child, 'POST', '/triggers', triggerBody(name, files), triggerToken());
    if (res.status !== 202) throw new Error(`trigger: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.groupRuns[0].id;
  }

  /** Every task of these groups, once all are terminal. */
  async waitForGroups(
    child: ChildApp,
    ids: string[],
    timeoutMs: number,
  ): Promise<Array<{ id: string; status: string; tasks: any[] }>> {
    return eventually(
      async () => {
        const groups = await Promise.all(
          ids.map(async (id) => (await this.api(child, 'GET', `/group-runs/${id}`)).body),
        );
        return groups.every((g) => g?.status && g.status !== 'RUNNING') ? groups : undefined;
      },
      timeoutMs,
      `groups ${ids.length} to finish`,
    );
  }

  /**
   * Loses every Redis key of this cluster, as FLUSHALL would, but only under our prefix: the Redis
   * is shared with other suites running at the same time. (One Redis only.)
   */
  async wipeRedis(): Promise<number> {
    const redis = new Redis(TEST_REDIS_URL);
    let deleted = 0;
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
        if (keys.length) deleted += await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    return deleted;
  }

  /** How many keys lie under our prefix on the Redis the processes use (on a cluster, on all its masters). */
  async keyCount(): Promise<number> {
    if (!this.redisEnv.FERRY_REDIS_CLUSTER_NODES) {
      const redis = new Redis(TEST_REDIS_URL);
      try {
        return (await redis.keys(`${this.prefix}*`)).length;
      } finally {
        redis.disconnect();
      }
    }
    const nodes = this.redisEnv.FERRY_REDIS_CLUSTER_NODES.split(',').map((n) => {
      const [host, port] = n.split(':');
      return { host, port: Number(port) };
    });
    const redis = new Cluster(nodes);
    try {
      await redis.ping(); // answered once the client knows every node
      const counts = await Promise.all(
        redis.nodes('master').map(async (n) => (await n.keys(`${this.prefix}*`)).length),
      );
      return counts.reduce((a, b) => a + b, 0);
    } finally {
      redis.disconnect();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.children.map((c) => c.kill('SIGKILL')));
    await this.db.drop();
  }
}

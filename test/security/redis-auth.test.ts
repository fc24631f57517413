import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { createRedis, JobName } from '#ferry/queue';
import { call, type ChildApp, createTestDatabase, DEV_MODE_ENV, spawnApp, type TestDatabase } from '#ferry/testing';
import { DIST_SCHEDULER_MAIN, ensureSchedulerBuilt } from '../support/build.js';
import { type PrivateRedis, startPrivateRedis, TLS_SERVER_NAME } from '../support/redis-server.js';
import {
  defineAndTrigger,
  definitionBody,
  eventually,
  fakeDownstreams,
  startTestScheduler,
  triggerBody,
  triggerToken,
  waitForGroup,
} from '../support/scheduler.js';

// Finding 10: FERRY_REDIS_URL's user, password and database number, and rediss:// with a private CA,
// reach every connection (the producer, and each BullMQ worker's own and blocking ones); the password
// shows nowhere (logs, readiness, errors). The Redis is the suite's own, and asks for a password.

const ADMIN_PASSWORD = 'admin-Pw-4c1d';
const FERRY_PASSWORD = 'ferry-Pw-9e7b:@/';
const UPSTREAM_PASSWORD = 'upstream-Pw-0b3e';
const WRONG_PASSWORD = 'wrong-Pw-51fa';
const METRICS_TOKEN = 'redis-auth-metrics';
/** The ACL user docs/security.md recommends: the queue prefix's keys and no channel, no dangerous command. */
const FERRY_ACL = [
  ...['resetkeys', '~{ferry}*', 'resetchannels', '-@all', '+@read', '+@write', '+@scripting', '+@blocking'],
  ...['+@connection', '-@dangerous', '+info'],
];
/** A trigger-queue producer's: the same commands, the trigger queue's keys only. */
const UPSTREAM_ACL = FERRY_ACL.map((rule) => (rule === '~{ferry}*' ? '~{ferry}:ferry.triggers:*' : rule));

describe('Redis with a password, an ACL user and TLS', () => {
  let redis: PrivateRedis;
  let db: TestDatabase;
  const fakes = fakeDownstreams();
  const enc = encodeURIComponent;

  beforeAll(async () => {
    redis = await startPrivateRedis(ADMIN_PASSWORD);
    await redis.admin().call('ACL', 'SETUSER', 'ferry', 'on', `>${FERRY_PASSWORD}`, ...FERRY_ACL);
    await redis.admin().call('ACL', 'SETUSER', 'upstream', 'on', `>${UPSTREAM_PASSWORD}`, ...UPSTREAM_ACL);
    db = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    await fakes.closeAll();
    await redis?.stop();
    await db?.drop();
  });

  const cases: Array<[string, () => Record<string, string>, number]> = [
    [
      'the default user with requirepass',
      () => ({ FERRY_REDIS_URL: `redis://:${ADMIN_PASSWORD}@127.0.0.1:${redis.port}/1` }),
      1,
    ],
    [
      'an ACL user limited to {ferry}* keys',
      () => ({ FERRY_REDIS_URL: `redis://ferry:${enc(FERRY_PASSWORD)}@127.0.0.1:${redis.port}/2` }),
      2,
    ],
    [
      'the ACL user over rediss:// with a private CA and server name',
      () => ({
        FERRY_REDIS_URL: `rediss://ferry:${enc(FERRY_PASSWORD)}@127.0.0.1:${redis.tlsPort}/3`,
        FERRY_REDIS_CA_FILE: redis.caFile,
        FERRY_REDIS_SERVER_NAME: TLS_SERVER_NAME,
      }),
      3,
    ],
  ];

  it.each(cases)('%s: a queued trigger and an HTTP one run to SUCCEEDED', async (_, env, dbNumber) => {
    // A 503 first: a retry after a backoff, the breaker's and the permits' scripts, the rate limiter.
    const fake = await fakes.start({ failNext: { count: 1, status: 503 } });
    const s = await startTestScheduler('sqlite', {
      ...env(),
      FERRY_QUEUE_PREFIX: '{ferry}',
      FERRY_METRICS_TOKEN: METRICS_TOKEN,
    });
    // An upstream producing to the trigger queue: with the ACL cases, as a user of its own.
    const { connection } = s.config.redis;
    const producer = createRedis(
      connection.username === 'ferry'
        ? { ...connection, username: 'upstream', password: UPSTREAM_PASSWORD }
        : connection,
      'producer',
    );
    const triggers = new Queue(s.config.triggerQueue, { connection: producer, prefix: s.config.redis.prefix });
    try {
      expect((await call('GET', `${s.handle.url}/health/ready`)).status).toBe(200);
      const target = { urls: [fake.url], maxConcurrent: 1, ratePerSecond: 50 };
      const viaHttp = await defineAndTrigger(s, `http-${dbNumber}`, fake.url, 2, { target });
      await waitForGroup(s, viaHttp, 'SUCCEEDED');

      const name = `queued-${dbNumber}`;
      expect((await s.api('POST', '/definitions', definitionBody(name, [fake.url]))).status).toBe(201);
      const job = await triggers.add(JobName.trigger, triggerBody(name, 3, `m-${name}`));
      const outcome = await eventually(async () => (await triggers.getJob(job.id!))?.returnvalue, 15_000, 'trigger');
      expect(outcome).toMatchObject({ duplicate: false });
      const runs = (await s.api('GET', `/group-runs?definition=${name}`)).body.items as Array<{ id: string }>;
      expect(runs).toHaveLength(1);
      await waitForGroup(s, runs[0].id, 'SUCCEEDED');
      expect(fake.starts).toHaveLength(2 + 3);
      expect(fake.requests.filter((r) => r.status === 503)).toHaveLength(1);

      // What operators read from Redis: the targets' state, the queues' counts.
      expect((await s.api('GET', '/targets')).body).toMatchObject({ items: [{ url: fake.url }] });
      const metrics = await fetch(`${s.handle.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(await metrics.text()).toMatch(/ferry_queue_jobs\{[^}]*queue="ferry.tasks"/);

      // Every key in the URL's database, none in database 0; and Redis refused nothing, not even
      // what the scheduler would have shrugged off.
      expect((await redis.admin(dbNumber).keys('{ferry}*')).length).toBeGreaterThan(0);
      expect(await redis.admin(0).keys('*')).toEqual([]);
      expect(await redis.admin().call('ACL', 'LOG')).toEqual([]);
    } finally {
      await triggers.close();
      await producer.quit();
      await s.close();
    }
  });

  // As deployed (built JS, its own process), to read everything it logs. A scheduler that cannot reach
  // Redis does not finish stopping (its workers wait for a connection), so these are killed.
  const spawnScheduler = async (env: Record<string, string>): Promise<ChildApp> => {
    await ensureSchedulerBuilt();
    return spawnApp(
      DIST_SCHEDULER_MAIN,
      { ...DEV_MODE_ENV, FERRY_SCHEDULER_DB_URL: db.config.url, FERRY_SCHEDULER_HOST: '127.0.0.1', ...env },
      'FERRY_SCHEDULER_PORT',
    );
  };

  it('a wrong password: not ready, and neither the answer nor the logs carry the password', async () => {
    const child = await spawnScheduler({
      FERRY_REDIS_URL: `redis://ferry:${WRONG_PASSWORD}@127.0.0.1:${redis.port}/4`,
    });
    try {
      const ready = await call('GET', `${child.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({
        error: { code: 'UNAVAILABLE', message: 'Not ready: redis down', details: [{ path: 'redis', problem: 'down' }] },
      });
      // Refused on every connection, again at each retry: the password in none of what is logged.
      await eventually(async () => child.output().split('WRONGPASS').length > 10, 15_000, 'refusals logged');
      expect(child.output()).not.toContain(WRONG_PASSWORD);
      expect(child.output()).toMatch(/queue ferry\.tasks: WRONGPASS/);
      const triggered = await call('POST', `${child.url}/api/v1/triggers`, {
        body: triggerBody('nothing', 1),
        token: triggerToken(),
      });
      expect(JSON.stringify(triggered.body)).not.toContain(WRONG_PASSWORD);
      expect(child.output()).not.toContain(WRONG_PASSWORD);
    } finally {
      await child.kill('SIGKILL');
    }
  });

  it('rediss:// without the CA that signed the server: not ready (the certificate is verified)', async () => {
    const child = await spawnScheduler({
      FERRY_REDIS_URL: `rediss://ferry:${enc(FERRY_PASSWORD)}@127.0.0.1:${redis.tlsPort}/5`,
      FERRY_REDIS_SERVER_NAME: TLS_SERVER_NAME,
    });
    try {
      const ready = await call('GET', `${child.url}/health/ready`);
      expect(ready.status).toBe(503);
      await eventually(async () => /certificate/.test(child.output()));
      expect(child.output()).not.toContain(FERRY_PASSWORD);
    } finally {
      await child.kill('SIGKILL');
    }
  });
});

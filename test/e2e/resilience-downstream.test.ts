import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  createTestDatabase,
  FakeDownstream,
  type FakeDownstreamOptions,
  TEST_REDIS_URL,
  uniquePrefix,
} from '#ferry/testing';
import {
  definitionBody,
  eventually,
  startTestScheduler,
  type SchedulerUnderTest,
  triggerBody,
  triggerToken,
  waitForGroup,
  fakeDownstreams,
} from '../support/scheduler.js';

// A downstream that misbehaves, against the real Redis and PostgreSQL: the attempt timeline must
// follow the backoff, the target's breaker must open and close, and the per-target cap and rate limit
// must hold across two scheduler instances.
jest.setTimeout(40_000);
type Event = { from: string | null; to: string; reason: string; dispatchId: string | null; detail: any; at: string };

describe('downstream failures, breaker and per-target limits (PostgreSQL)', () => {
  let s: SchedulerUnderTest;
  const fakes = fakeDownstreams();

  beforeAll(async () => {
    s = await startTestScheduler('postgres', {
      FERRY_DISPATCH_TIMEOUT_MS: '300',
      FERRY_BREAKER_FAILURES: '3',
      FERRY_BREAKER_COOLDOWN_MS: '1500',
    });
  });
  afterAll(async () => {
    await s?.close();
    await fakes.closeAll();
  });

  const fake = (options: FakeDownstreamOptions) => fakes.start(options);
  async function run(
    target: SchedulerUnderTest,
    name: string,
    f: FakeDownstream,
    files: number,
    overrides: Record<string, unknown> = {},
  ) {
    expect(
      (
        await target.api(
          'POST',
          '/definitions',
          definitionBody(name, [f.url], { pollIntervalSeconds: 0.2, ...overrides }),
        )
      ).status,
    ).toBe(201);
    const posted = await target.api('POST', '/triggers', triggerBody(name, files), triggerToken());
    return posted.body.groupRuns[0].id as string;
  }
  const events = async (id: string): Promise<Event[]> => (await s.api('GET', `/task-runs/${id}`)).body.events;
  const targetView = async (url: string) =>
    ((await s.api('GET', '/targets')).body.items as any[]).find((t) => t.url === url);

  it(
    '5xx, a timeout, 429 with Retry-After, then success: ' +
      'every wait follows the backoff, Retry-After or the breaker; the 429 spends no attempt; one start in all',
    async () => {
      const f = await fake({});
      const retry = { maxAttempts: 6, initialDelaySeconds: 0.2, factor: 2, maxDelaySeconds: 5 };
      // The answers in order: 503, 502, none (the 300 ms dispatch timeout fires), 429 with Retry-After 1 s, then 202.
      const script: Array<{ status?: number; retryAfterSeconds?: number; hang?: true }> = [
        { status: 503 },
        { status: 502 },
        { hang: true },
        { status: 429, retryAfterSeconds: 1 },
      ];
      const next = () => {
        const step = script.shift();
        if (step?.hang) f.options.hangNext = 1;
        else if (step)
          f.options.failNext = { count: 1, status: step.status!, retryAfterSeconds: step.retryAfterSeconds };
      };
      next();
      const push = f.requests.push.bind(f.requests);
      f.requests.push = (...items) => {
        const n = push(...items);
        next();
        return n;
      };
      const gid = await run(s, 'timeline', f, 1, { retry, attemptTimeoutSeconds: 30 });
      const g = await waitForGroup(s, gid, 'SUCCEEDED', 20_000);
      const ev = await events(g.tasks[0].id);
      const failures = ev.filter((e) => e.to === 'RETRY_WAIT' && e.reason === 'ATTEMPT_FAILED');
      expect(failures.map((e) => e.detail.error.code)).toEqual([
        'DOWNSTREAM_HTTP_503',
        'DOWNSTREAM_HTTP_502',
        'DOWNSTREAM_TIMEOUT',
      ]);
      // The chosen delays: equal jitter within [base/2, base], base = 0.2 s × 2^(n-1).
      for (const [i, w] of failures.entries()) {
        const base = Math.min(5, 0.2 * 2 ** i) * 1000;
        expect(w.detail.delayMs).toBeGreaterThanOrEqual(base / 2);
        expect(w.detail.delayMs).toBeLessThanOrEqual(base);
      }
      // The 429 is a busy downstream, not a failure: the task waits its Retry-After with the attempt given back.
      const busy = ev.filter((e) => e.reason === 'TARGET_BUSY');
      expect(busy.map((e) => [e.to, e.detail.delayMs])).toEqual([['RETRY_WAIT', 1000]]);
      // Three failures in a row open this scheduler's breaker (threshold 3): the next attempt waits for the cool-down.
      const blocked = ev.filter((e) => e.reason === 'TARGET_CIRCUIT_OPEN');
      expect(blocked.length).toBeGreaterThan(0);
      expect(Date.parse(blocked[0].at)).toBeGreaterThan(Date.parse(failures[2].at));
      // The timeline keeps to every wait: the next dispatch comes after it ends, and within 400 ms of that.
      ev.forEach((e, i) => {
        if (e.to !== 'RETRY_WAIT') return;
        const gap = Date.parse(ev[i + 1].at) - Date.parse(e.at);
        expect(ev[i + 1].to).toBe('DISPATCHED');
        expect(gap).toBeGreaterThanOrEqual(e.detail.delayMs - 5);
        expect(gap).toBeLessThan(e.detail.delayMs + 400);
      });
      const sent = ev.filter((e) => e.to === 'DISPATCHED').length - blocked.length;
      expect(sent).toBe(5);
      expect(f.requests).toHaveLength(5);
      expect(f.starts).toHaveLength(1);
      expect(g.tasks[0]).toMatchObject({ attempt: 4, dispatchId: f.starts[0].body.dispatchId });
      // 503 and 502 had definite answers: each next attempt has a new key. The timed-out start may have
      // started a job, so every later request goes under its key (the 429 and the 202 included).
      const keys = f.requests.map((r) => r.key);
      expect(new Set(keys).size).toBe(3);
      expect(keys.slice(2)).toEqual([keys[2], keys[2], keys[2]]);
      expect(await targetView(f.url)).toMatchObject({ breaker: 'CLOSED', timesOpened: 1 });
    },
  );

  it('a downstream answering 429 more often than the task may retry: the task waits each out and succeeds', async () => {
    const f = await fake({ failNext: { count: 4, status: 429, retryAfterSeconds: 0 } });
    const retry = { maxAttempts: 2, initialDelaySeconds: 0.05, factor: 1, maxDelaySeconds: 0.05 };
    const g = await waitForGroup(s, await run(s, 'busy', f, 1, { retry }), 'SUCCEEDED', 20_000);
    const ev = await events(g.tasks[0].id);
    expect(ev.filter((e) => e.reason === 'TARGET_BUSY')).toHaveLength(4);
    expect(ev.filter((e) => e.reason === 'ATTEMPT_FAILED')).toHaveLength(0);
    expect(f.requests.map((r) => r.status)).toEqual([429, 429, 429, 429, 202]);
    expect(g.tasks[0].attempt).toBe(1);
    // A busy downstream is not a broken one: its breaker saw nothing.
    expect(await targetView(f.url)).toMatchObject({ breaker: 'CLOSED', consecutiveFailures: 0, timesOpened: 0 });
  });

  it(
    'the breaker opens after 3 failures, holds every task of the target without spending attempts, ' +
      'probes after the cool-down, and closes',
    async () => {
      const f = await fake({ failNext: { count: 4, status: 503 } }); // 3 to open it, then the first probe fails too
      const retry = { maxAttempts: 10, initialDelaySeconds: 0.05, factor: 1, maxDelaySeconds: 0.05 };
      const gid = await run(s, 'breaker', f, 1, { retry });
      const opened = await eventually(
        async () => ((await targetView(f.url))?.breaker === 'OPEN' ? targetView(f.url) : undefined),
        10_000,
        'the breaker to open',
      );
      expect(opened).toMatchObject({
        consecutiveFailures: 3,
        timesOpened: 1,
        lastError: expect.stringContaining('DOWNSTREAM_HTTP_503'),
      });
      // A second group on the same target waits too: the open breaker sends nothing.
      const gid2 = await run(s, 'breaker-2', f, 2, { retry });
      const requestsWhileOpen = f.requests.length;
      // Watched until shortly before the cool-down ends (when one probe may go), however late the opening was seen.
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(opened.retryAt) - Date.now() - 100)));
      expect(f.requests.length).toBe(requestsWhileOpen);
      expect(
        ((await s.api('GET', `/group-runs/${gid2}`)).body.tasks as any[]).map((t) => [t.status, t.attempt]),
      ).toEqual([
        ['RETRY_WAIT', 0],
        ['RETRY_WAIT', 0],
      ]);

      await eventually(
        async () => (await targetView(f.url)).timesOpened === 2,
        10_000,
        'the failed probe to open it again',
      );
      const [g, g2] = [
        await waitForGroup(s, gid, 'SUCCEEDED', 20_000),
        await waitForGroup(s, gid2, 'SUCCEEDED', 20_000),
      ];
      expect(await targetView(f.url)).toMatchObject({ breaker: 'CLOSED', consecutiveFailures: 0, timesOpened: 2 });
      const ev = await events(g.tasks[0].id);
      expect(ev.filter((e) => e.reason === 'TARGET_CIRCUIT_OPEN').length).toBeGreaterThan(0);
      // Attempts are spent by requests only (4 failed, 3 good),
      // never by waiting; the probe may be any task of the target.
      expect([g.tasks[0], ...g2.tasks].reduce((n: number, t: any) => n + t.attempt, 0)).toBe(7);
      expect(f.requests.map((r) => r.status)).toEqual([503, 503, 503, 503, 202, 202, 202]);
    },
  );

  it('two instances share one concurrency cap and one rate limit per target', async () => {
    const db = await createTestDatabase('postgres');
    const prefix = uniquePrefix('cap');
    const env = {
      FERRY_QUEUE_PREFIX: prefix,
      FERRY_REDIS_URL: TEST_REDIS_URL,
      FERRY_RECONCILE_INTERVAL_MS: '60000',
      FERRY_TARGET_BLOCKED_RETRY_MS: '50',
    };
    const a = await startTestScheduler('postgres', env, { db, keepDb: true });
    const b = await startTestScheduler('postgres', env, { db, keepDb: true });
    try {
      const f = await fake({ behaviour: 'manual' });
      const gids = [await run(a, 'capped', f, 12, { target: { urls: [f.url], maxConcurrent: 3 } })];
      const posted = await b.api('POST', '/triggers', triggerBody('capped', 12), triggerToken());
      gids.push(posted.body.groupRuns[0].id);
      let maxOpen = 0;
      let finished = 0;
      while (finished < 24) {
        const open = [...f.jobs.entries()].filter(([, j]) => j.status === 'ACCEPTED');
        maxOpen = Math.max(maxOpen, open.length);
        expect(open.length).toBeLessThanOrEqual(3);
        if (open.length) {
          await f.report(open[0][0], {
            status: 'SUCCEEDED',
            reconciliation: {
              expected: 0,
              received: 0,
              inserted: 0,
              updated: 0,
              deleted: 0,
              unchanged: 0,
              rejected: 0,
            },
          });
          finished++;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(maxOpen).toBe(3);
      for (const gid of gids) await waitForGroup(a, gid, 'SUCCEEDED', 20_000);
      expect(f.starts).toHaveLength(24);

      const r = await fake({});
      const gid = await run(b, 'rated', r, 10, { target: { urls: [r.url], ratePerSecond: 4 } });
      await waitForGroup(a, gid, 'SUCCEEDED', 20_000);
      const at = r.starts.map((x) => x.at).sort((x, y) => x - y);
      // 4 per second: 10 starts need at least two more windows after the first.
      expect(at[9] - at[0]).toBeGreaterThanOrEqual(1500);
      for (let i = 0; i + 8 < at.length; i++) expect(at[i + 8] - at[i]).toBeGreaterThanOrEqual(900);
      expect(
        (await a.api('GET', `/task-runs/${(await a.api('GET', `/group-runs/${gid}`)).body.tasks[9].id}`)).body.attempt,
      ).toBe(1);
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});

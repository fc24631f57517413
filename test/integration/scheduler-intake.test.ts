import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { JobName } from '#ferry/queue';
import { FakeDownstream, TEST_DB_TYPES, TEST_REDIS_URL } from '#ferry/testing';
import {
  definitionBody,
  eventually,
  startTestScheduler,
  type SchedulerUnderTest,
  triggerBody,
  triggerToken,
  waitForGroup,
} from '../support/scheduler.js';

type Trigger = {
  id: string;
  messageId: string | null;
  source: string | null;
  status: string;
  reason: string | null;
  via: string;
  payload: unknown;
};
type Group = { id: string; definition: string; definitionId: string; status: string; createdAt: string };

describe.each(TEST_DB_TYPES)('scheduler trigger intake and admin lists on %s', (dbType) => {
  let s: SchedulerUnderTest;
  let done: FakeDownstream; // calls back SUCCEEDED at once
  let held: FakeDownstream; // never calls back: its groups stay RUNNING
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    done = await new FakeDownstream().start();
    held = await new FakeDownstream({ behaviour: 'manual' }).start();
    s = await startTestScheduler(dbType);
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue(s.config.triggerQueue, { connection: redis, prefix: s.config.redis.prefix });
    for (const [name, fake] of [
      ['dedup', done],
      ['queued', done],
      ['page-a', held],
      ['page-b', done],
    ] as const) {
      expect((await s.api('POST', '/definitions', definitionBody(name, [fake.url]))).status).toBe(201);
    }
  });
  afterAll(async () => {
    await queue?.close();
    redis?.disconnect();
    await s?.close();
    await done?.close();
    await held?.close();
  });

  const triggers = async (query = ''): Promise<Trigger[]> =>
    (await s.api('GET', `/triggers?limit=500${query}`)).body.items;
  const groups = async (query = ''): Promise<Group[]> =>
    (await s.api('GET', `/group-runs?limit=500${query}`)).body.items;
  const stats = async () => (await s.api('GET', '/stats')).body;

  it('50 identical posts at once → one group run: one 202 and 49 × 200 duplicates with the same answer', async () => {
    const body = triggerBody('dedup', 2, 'm-dedup');
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => s.api('POST', '/triggers', body, triggerToken())),
    );
    const created = answers.filter((a) => a.status === 202);
    expect(created).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(49);
    const first = created[0].body;
    expect(first).toMatchObject({ duplicate: false, groupRuns: [{ definition: 'dedup', tasks: 2 }] });
    for (const a of answers.filter((x) => x.status === 200)) expect(a.body).toEqual({ ...first, duplicate: true });
    const runs = await groups('&definition=dedup');
    expect(runs.map((g) => g.id)).toEqual([first.groupRuns[0].id]);
    expect((await s.api('GET', `/group-runs/${first.groupRuns[0].id}`)).body.tasks).toHaveLength(2);
    expect((await triggers()).filter((t) => t.messageId === 'm-dedup')).toHaveLength(1);
    // Dedup is by (source, messageId): the same id from another source is another trigger.
    const other = await s.api('POST', '/triggers', { ...body, source: 'crm' }, triggerToken());
    expect(other.status).toBe(202);
    expect(other.body.triggerId).not.toBe(first.triggerId);
  });

  it(
    'a burst of different triggers and copies at once: ' +
      'each new one its own run, each copy the answer of its first',
    async () => {
      const bodies = [
        ...Array.from({ length: 20 }, (_, i) => triggerBody('dedup', 1, `m-burst-${i}`)),
        ...Array.from({ length: 10 }, () => triggerBody('dedup', 2, 'm-burst-copy-a')),
        ...Array.from({ length: 10 }, () => triggerBody('dedup', 3, 'm-burst-copy-b')),
        { messageId: 'm-burst-nobody', source: 'billing', event: 'nobody.listens' },
      ];
      const answers = await Promise.all(bodies.map((b) => s.api('POST', '/triggers', b, triggerToken())));
      expect(answers.slice(0, 20).map((a) => [a.status, a.body.duplicate, a.body.groupRuns.length])).toEqual(
        Array(20).fill([202, false, 1]),
      );
      for (const copies of [answers.slice(20, 30), answers.slice(30, 40)]) {
        const first = copies.filter((a) => a.status === 202);
        expect(first).toHaveLength(1);
        for (const a of copies.filter((x) => x.status === 200))
          expect(a.body).toEqual({ ...first[0].body, duplicate: true });
        expect(copies.filter((a) => a.status === 200)).toHaveLength(9);
      }
      expect(answers[40]).toMatchObject({ status: 202, body: { groupRuns: [] } });
      const ids = new Set(
        answers.filter((a) => a.status === 202).flatMap((a) => a.body.groupRuns.map((g: { id: string }) => g.id)),
      );
      expect(ids.size).toBe(22);
      const runs = (await groups('&definition=dedup')).filter((g) => ids.has(g.id));
      expect(runs).toHaveLength(22);
      const tasks = await Promise.all(
        [...ids].map(async (id) => (await s.api('GET', `/group-runs/${id}`)).body.tasks.length),
      );
      expect(tasks.sort((x, y) => x - y)).toEqual([...Array(20).fill(1), 2, 3]);
      expect((await triggers()).filter((t) => t.messageId?.startsWith('m-burst-'))).toHaveLength(23);
    },
  );

  it('keeps an unmatched trigger as UNMATCHED and lists it to operators', async () => {
    const body = { messageId: 'm-unmatched', source: 'billing', event: 'nobody.listens' };
    const posted = await s.api('POST', '/triggers', body, triggerToken());
    expect(posted.status).toBe(202);
    expect(posted.body).toEqual({ triggerId: expect.any(String), duplicate: false, groupRuns: [] });
    const unmatched = await triggers('&status=UNMATCHED');
    expect(unmatched.find((t) => t.messageId === 'm-unmatched')).toMatchObject({
      id: posted.body.triggerId,
      status: 'UNMATCHED',
      via: 'http',
      reason: expect.any(String),
    });
    expect(unmatched.every((t) => t.status === 'UNMATCHED')).toBe(true);
    expect((await triggers('&status=ACCEPTED')).map((t) => t.messageId)).not.toContain('m-unmatched');
    const again = await s.api('POST', '/triggers', body, triggerToken());
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...posted.body, duplicate: true });
  });

  it('takes trigger messages from the BullMQ queue the same way, and keeps malformed ones as REJECTED', async () => {
    const body = triggerBody('queued', 3, 'm-queued');
    const job = await queue.add(JobName.trigger, body);
    const result = await eventually(
      async () => (await queue.getJob(job.id!))?.returnvalue,
      15_000,
      'the queued trigger',
    );
    expect(result).toMatchObject({ duplicate: false, triggerId: expect.any(String) });
    expect((await triggers()).find((t) => t.messageId === 'm-queued')).toMatchObject({
      id: result.triggerId,
      status: 'ACCEPTED',
      via: 'queue',
    });
    const [run] = await groups('&definition=queued');
    expect((await waitForGroup(s, run.id, 'SUCCEEDED')).counts.total).toBe(3);

    // The same message again, by queue and by HTTP: the first answer, nothing new.
    const dup = await queue.add(JobName.trigger, body);
    expect(await eventually(async () => (await queue.getJob(dup.id!))?.returnvalue)).toEqual({
      triggerId: result.triggerId,
      duplicate: true,
    });
    const http = await s.api('POST', '/triggers', body, triggerToken());
    expect(http.status).toBe(200);
    expect(http.body).toMatchObject({ triggerId: result.triggerId, duplicate: true, groupRuns: [{ id: run.id }] });
    expect(await groups('&definition=queued')).toHaveLength(1);

    const malformed = { source: 'billing', event: 'queued.ready', files: [{ dataset: 'invoices' }] };
    const bad = await queue.add(JobName.trigger, malformed);
    const text = await queue.add(JobName.trigger, 'not a trigger at all');
    const rejectedId = (await eventually(async () => (await queue.getJob(bad.id!))?.returnvalue)).rejected;
    await eventually(async () => (await queue.getJob(text.id!))?.returnvalue);
    const rejected = await triggers('&status=REJECTED');
    expect(rejected).toHaveLength(2);
    const kept = rejected.find((t) => t.id === rejectedId)!;
    expect(kept).toMatchObject({ status: 'REJECTED', via: 'queue', payload: malformed });
    expect(kept.reason).toMatch(/messageId is required/);
    expect(kept.reason).toMatch(/files\[0\]\.name is required/);
    expect(rejected.find((t) => t.id !== rejectedId)).toMatchObject({
      payload: 'not a trigger at all',
      reason: expect.stringMatching(/schema/),
    });
    expect(await groups('&definition=queued')).toHaveLength(1);
  });

  it(
    'pages group runs by cursor without gaps or repeats, ' + 'and filters by status and definition (id or name)',
    async () => {
      const defA = (await s.api('GET', '/definitions/page-a')).body;
      const made: string[] = [];
      for (const name of ['page-a', 'page-b', 'page-a', 'page-b', 'page-a']) {
        const r = await s.api('POST', '/triggers', triggerBody(name, 1), triggerToken());
        made.push(r.body.groupRuns[0].id);
      }
      for (const id of made.filter((_, i) => i % 2 === 1)) await waitForGroup(s, id, 'SUCCEEDED');

      const all = await groups();
      const walked: Group[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { items: Group[]; nextCursor: string | null } = (
          await s.api('GET', `/group-runs?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        ).body;
        expect(page.items.length).toBeLessThanOrEqual(2);
        walked.push(...page.items);
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 50);
      expect(walked.map((g) => g.id)).toEqual(all.map((g) => g.id));
      expect(new Set(walked.map((g) => g.id)).size).toBe(walked.length);
      expect(walked.length).toBeGreaterThan(2 * 2);
      expect(made.every((id) => walked.some((g) => g.id === id))).toBe(true);
      const times = walked.map((g) => Date.parse(g.createdAt));
      expect(times).toEqual([...times].sort((x, y) => y - x));

      const byName = await groups('&definition=page-a');
      expect(byName.map((g) => g.id).sort()).toEqual([made[0], made[2], made[4]].sort());
      expect((await groups(`&definition=${defA.id}`)).map((g) => g.id)).toEqual(byName.map((g) => g.id));
      expect((await groups('&definition=page-a&status=RUNNING')).map((g) => g.id)).toEqual(byName.map((g) => g.id));
      expect((await groups('&definition=page-b&status=SUCCEEDED')).map((g) => g.id).sort()).toEqual(
        [made[1], made[3]].sort(),
      );
      expect(await groups('&definition=page-b&status=RUNNING')).toEqual([]);
      expect((await groups('&status=SUCCEEDED')).every((g) => g.status === 'SUCCEEDED')).toBe(true);
      expect(await groups('&definition=no-such-definition')).toEqual([]);
      const p1 = (await s.api('GET', '/group-runs?definition=page-a&limit=2')).body;
      const p2 = (await s.api('GET', `/group-runs?definition=page-a&limit=2&cursor=${p1.nextCursor}`)).body;
      expect([...p1.items, ...p2.items].map((g: Group) => g.id)).toEqual(byName.map((g) => g.id));
      expect(p2.nextCursor).toBeNull();
      expect((await s.api('GET', '/group-runs?cursor=garbage')).status).toBe(422);
    },
  );

  it('GET /stats counts group runs, task runs and triggers by status', async () => {
    const before = await stats();
    const posted = await s.api('POST', '/triggers', triggerBody('page-b', 2), triggerToken());
    await waitForGroup(s, posted.body.groupRuns[0].id, 'SUCCEEDED');
    await s.api('POST', '/triggers', { messageId: 'm-stats', source: 'nobody', event: 'x' }, triggerToken());
    const after = await stats();
    expect(after.groupRuns.SUCCEEDED).toBe(before.groupRuns.SUCCEEDED + 1);
    expect(after.taskRuns.SUCCEEDED).toBe(before.taskRuns.SUCCEEDED + 2);
    expect(after.triggers.ACCEPTED).toBe(before.triggers.ACCEPTED + 1);
    expect(after.triggers.UNMATCHED).toBe(before.triggers.UNMATCHED + 1);
    expect(after.triggers.REJECTED).toBe(2);
    expect(after.groupRuns.RUNNING).toBe((await groups('&status=RUNNING')).length);
    expect(after.groupRuns.RUNNING).toBe(3);
    expect(after.reconciliationMismatches).toBe(0);
  });
});

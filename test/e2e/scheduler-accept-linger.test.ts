import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type FakeDownstream, TEST_DB_TYPES } from '#ferry/testing';
import {
  callbackToken,
  definitionBody,
  eventually,
  fakeDownstreams,
  startTestScheduler,
  type SchedulerUnderTest,
  triggerBody,
  triggerToken,
} from '../support/scheduler.js';

// The downstream's 202 to a sync request is written together with the task's first callback when that
// comes within FERRY_ACCEPT_LINGER_MS (one row write, both moves in the history), else on its own; a
// stopping scheduler writes what it still holds.
describe.each(TEST_DB_TYPES)('accepted answers coalesced with callbacks on %s', (dbType) => {
  const fakes = fakeDownstreams();
  afterAll(() => fakes.closeAll());

  async function dispatchOne(s: SchedulerUnderTest, name: string, url: string) {
    expect(
      (await s.api('POST', '/definitions', definitionBody(name, [url], { pollIntervalSeconds: 300 }))).status,
    ).toBe(201);
    const posted = await s.api('POST', '/triggers', triggerBody(name, 1), triggerToken());
    return (await s.api('GET', `/group-runs/${posted.body.groupRuns[0].id}`)).body.tasks[0].id as string;
  }

  describe('with a long linger', () => {
    let s: SchedulerUnderTest;
    beforeAll(async () => {
      s = await startTestScheduler(dbType, { FERRY_ACCEPT_LINGER_MS: '10000' });
    });
    afterAll(() => s?.close());

    it('writes the 202 and the first callback in one go, each move in the history', async () => {
      const f = await fakes.start({ behaviour: 'manual' });
      const id = await dispatchOne(s, 'linger-merge', f.url);
      await eventually(async () => f.starts.length === 1);
      // Answered 202, but not written yet: the task still shows the dispatch.
      const held = (await s.api('GET', `/task-runs/${id}`)).body;
      expect(held).toMatchObject({ status: 'DISPATCHED', downstreamJobId: null });
      // A bare callback (no jobId): the held 202 goes first, in the same write.
      const { jobId } = f.starts[0];
      const { status, body } = await reportWithoutJobId(f, jobId);
      expect(status).toBe(200);
      expect(body).toMatchObject({ applied: true });
      const task = (await s.api('GET', `/task-runs/${id}`)).body;
      expect(task).toMatchObject({ status: 'RUNNING', downstreamJobId: jobId });
      const events = task.events.map((e: { to: string; actor: string; at: string }) => [e.to, e.actor]);
      expect(events).toEqual([
        ['DISPATCHED', 'dispatcher'],
        ['ACCEPTED', 'dispatcher'],
        ['RUNNING', 'callback'],
      ]);
      expect(task.events[1].at).toBe(task.events[2].at);
    });
  });

  it('writes a held 202 on its own after the linger, and when the scheduler stops', async () => {
    const db = await createTestDatabase(dbType);
    const f = await fakes.start({ behaviour: 'manual' });
    const short = await startTestScheduler(dbType, { FERRY_ACCEPT_LINGER_MS: '200' }, { db, keepDb: true });
    const first = await dispatchOne(short, 'linger-alone', f.url);
    await eventually(
      async () => ((await short.api('GET', `/task-runs/${first}`)).body.status === 'ACCEPTED' ? true : undefined),
      10_000,
      'the held 202 written',
    );
    expect((await short.api('GET', `/task-runs/${first}`)).body.downstreamJobId).toBe(f.starts[0].jobId);
    await short.close();

    const long = await startTestScheduler(dbType, { FERRY_ACCEPT_LINGER_MS: '10000' }, { db, keepDb: true });
    const posted = await long.api('POST', '/triggers', triggerBody('linger-alone', 1), triggerToken());
    const second = (await long.api('GET', `/group-runs/${posted.body.groupRuns[0].id}`)).body.tasks[0].id as string;
    await eventually(async () => f.starts.length === 2);
    await eventually(async () => f.requests.length === 2);
    await long.close();
    const again = await startTestScheduler(dbType, { FERRY_ACCEPT_LINGER_MS: '10000' }, { db });
    try {
      expect((await again.api('GET', `/task-runs/${second}`)).body).toMatchObject({
        status: 'ACCEPTED',
        downstreamJobId: f.starts[1].jobId,
      });
    } finally {
      await again.close();
    }
  });
});

/** A callback as a downstream that does not name its job would send it (the optional field left out). */
async function reportWithoutJobId(f: FakeDownstream, jobId: string) {
  const job = f.jobs.get(jobId)!;
  const res = await fetch(job.body.callbackUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${callbackToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ dispatchId: job.body.dispatchId, status: 'RUNNING', progress: { processed: 1, total: 10 } }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

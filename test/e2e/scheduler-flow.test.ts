import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeDownstream, TEST_DB_TYPES } from '#ferry/testing';
import {
  definitionBody,
  startTestScheduler,
  type SchedulerUnderTest,
  triggerBody,
  triggerToken,
  waitForGroup,
} from '../support/scheduler.js';

describe.each(TEST_DB_TYPES)('scheduler flow on %s', (dbType) => {
  let s: SchedulerUnderTest;
  let fake: FakeDownstream;

  beforeAll(async () => {
    fake = await new FakeDownstream().start();
    s = await startTestScheduler(dbType);
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  it('runs an ASYNC group: trigger → dispatch with JWT and idempotency key → callbacks → SUCCEEDED', async () => {
    expect((await s.api('POST', '/definitions', definitionBody('async-flow', [fake.url]))).status).toBe(201);
    const posted = await s.api('POST', '/triggers', triggerBody('async-flow', 3), triggerToken());
    expect(posted.status).toBe(202);
    expect(posted.body.duplicate).toBe(false);
    expect(posted.body.groupRuns).toHaveLength(1);
    const group = await waitForGroup(s, posted.body.groupRuns[0].id, 'SUCCEEDED');
    expect(group.counts).toEqual({ total: 3, succeeded: 3, failed: 0, cancelled: 0, skipped: 0 });
    expect(fake.starts).toHaveLength(3);
    for (const start of fake.starts) {
      expect(start.key).toBe(start.body.dispatchId);
      expect(start.principal.clientId).toBe('ferry-scheduler');
      expect(start.principal.scopes).toContain('sync:write');
    }
    const task = await s.api('GET', `/task-runs/${group.tasks[0].id}`);
    const moves = task.body.events.map((e: { to: string }) => e.to);
    // The callback may overtake the HTTP answer to the dispatch, so ACCEPTED is optional.
    expect([
      ['DISPATCHED', 'SUCCEEDED'],
      ['DISPATCHED', 'ACCEPTED', 'SUCCEEDED'],
    ]).toContainEqual(moves);
    expect(task.body.reconciliationStatus).toBe('OK');
  });
});

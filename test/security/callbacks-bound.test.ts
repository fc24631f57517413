import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Audience, Scope } from '#ferry/contracts';
import { DEV_SECRET, devToken, FakeDownstream } from '#ferry/testing';
import {
  definitionBody,
  eventually,
  type SchedulerUnderTest,
  startTestScheduler,
  triggerBody,
} from '../support/scheduler.js';
import { expectRefused } from '../support/security.js';

// Finding 5: any callbacks:write client could report on any task whose dispatchId it knew, and a wrong
// dispatchId still answered the task's status. A callback is now taken only from a client bound to the
// task's target (`target.callbackClients`, or FERRY_SCHEDULER_CALLBACK_CLIENTS for a target naming none).

const client = (clientId: string, scopes: string[], sources?: string[]) => ({
  clientId,
  keys: [{ alg: 'HS256', secret: DEV_SECRET }],
  scopes,
  ...(sources ? { sources } : {}),
});
const callbackToken = (issuer: string) => devToken(Audience.scheduler, [Scope.callbacksWrite], issuer);

describe('callbacks bound to their target', () => {
  let s: SchedulerUnderTest;
  // `billing` names no callback clients (the default: ferry-consumer); `ledger` names its own client.
  const billing = new FakeDownstream({ behaviour: 'manual' });
  const ledger = new FakeDownstream({ behaviour: 'manual' });
  const task = async (id: string) => (await s.api('GET', `/task-runs/${id}`)).body as Record<string, unknown>;
  const report = (taskRunId: string, issuer: string, body: Record<string, unknown>) =>
    s.api('POST', `/callbacks/tasks/${taskRunId}`, body, callbackToken(issuer));

  /** Triggers `name`, waits for its sync request, and makes the bound client report RUNNING: a settled task. */
  async function runningTask(name: string, fake: FakeDownstream, boundClient: string) {
    expect(
      (await s.api('POST', '/triggers', triggerBody(name, 1), devToken(Audience.scheduler, [Scope.triggersWrite])))
        .status,
    ).toBe(202);
    const start = await eventually(async () => fake.starts[0], 15_000, `the sync request of ${name}`);
    const { taskRunId, dispatchId } = start.body;
    const running = await report(taskRunId, boundClient, { dispatchId, status: 'RUNNING' });
    expect(running.body).toEqual({ applied: true, status: 'RUNNING' });
    return { taskRunId, dispatchId, jobId: start.jobId };
  }

  const succeeded = (dispatchId: string) => ({
    dispatchId,
    status: 'SUCCEEDED' as const,
    reconciliation: { expected: 10, received: 10, inserted: 10, updated: 0, deleted: 0, unchanged: 0, rejected: 0 },
  });

  beforeAll(async () => {
    await billing.start();
    await ledger.start();
    s = await startTestScheduler('sqlite', {
      FERRY_SCHEDULER_CLIENTS: JSON.stringify([
        client('ferry-admin', [Scope.adminRead, Scope.adminWrite]),
        client('upstream-dev', [Scope.triggersWrite], ['*']),
        client('ferry-consumer', [Scope.callbacksWrite, Scope.dataRead]),
        client('ledger', [Scope.callbacksWrite]),
      ]),
    });
    // Polls far apart: nothing but the callbacks below moves the tasks.
    const slow = { pollIntervalSeconds: 3600 };
    expect((await s.api('POST', '/definitions', definitionBody('billing', [billing.url], slow))).status).toBe(201);
    const bound = definitionBody('ledger', [ledger.url], slow);
    const defined = await s.api('POST', '/definitions', {
      ...bound,
      target: { ...bound.target, callbackClients: ['ledger'] },
    });
    expect(defined.status).toBe(201);
    expect(defined.body.target.callbackClients).toEqual(['ledger']);
  });
  afterAll(async () => {
    await s?.close();
    await billing.close();
    await ledger.close();
  });

  it("another target's client reporting completion is refused 403, the task unchanged, nothing told", async () => {
    const { taskRunId, dispatchId, jobId } = await runningTask('billing', billing, 'ferry-consumer');
    const before = await task(taskRunId);
    expect(before.status).toBe('RUNNING');

    const forged = await report(taskRunId, 'ledger', { ...succeeded(dispatchId), jobId });
    const message = expectRefused(forged, 403, 'FORBIDDEN');
    expect(forged.body.error.details).toEqual([]);
    expect(message).not.toMatch(/RUNNING|DISPATCHED|ACCEPTED|SUCCEEDED|billing|ferry-consumer|127\.0\.0\.1/);
    expect(message).not.toContain(dispatchId);
    // Any status the unbound client tries is refused alike: no answer tells one state from another.
    for (const status of ['ACCEPTED', 'RUNNING', 'FAILED']) {
      expect((await report(taskRunId, 'ledger', { dispatchId, status })).body).toEqual(forged.body);
    }
    expect(await task(taskRunId)).toEqual(before);

    // The bound client still reports, and the task completes.
    const real = await billing.report(jobId, succeeded(dispatchId));
    expect(real).toEqual({ status: 200, body: { applied: true, status: 'SUCCEEDED' } });
    expect((await task(taskRunId)).status).toBe('SUCCEEDED');
    // A contradicting report from the unbound client is refused, not a 409 naming the task's state.
    expect((await report(taskRunId, 'ledger', { dispatchId, status: 'FAILED' })).body).toEqual(forged.body);
  });

  it('a wrong dispatchId from an unbound client learns nothing; the bound client keeps its STALE answer', async () => {
    const { taskRunId, dispatchId } = await runningTask('ledger', ledger, 'ledger');
    const before = await task(taskRunId);

    // The default client is not bound to a target that names its own clients.
    const right = await report(taskRunId, 'ferry-consumer', { dispatchId, status: 'RUNNING' });
    const wrong = await report(taskRunId, 'ferry-consumer', { dispatchId: 'not-the-dispatch', status: 'RUNNING' });
    expectRefused(wrong, 403, 'FORBIDDEN');
    expect(JSON.stringify(wrong.body)).not.toMatch(/RUNNING|STALE|status|applied/);
    // The right and the wrong dispatchId get the same answer: it tells the caller nothing.
    expect(wrong.body).toEqual(right.body);
    expect((await report(taskRunId, 'ferry-consumer', succeeded(dispatchId))).body).toEqual(right.body);
    expect(await task(taskRunId)).toEqual(before);

    // The contract's answer to an older dispatch stays, for the bound downstream only.
    const stale = await report(taskRunId, 'ledger', { dispatchId: 'not-the-dispatch', status: 'RUNNING' });
    expect(stale.body).toEqual({ applied: false, reason: 'STALE', status: 'RUNNING' });
    expect(await task(taskRunId)).toEqual(before);
    expect((await report(taskRunId, 'ledger', succeeded(dispatchId))).body).toEqual({
      applied: true,
      status: 'SUCCEEDED',
    });
  });

  it('a definition may bind only clients configured with callbacks:write (422, nothing stored)', async () => {
    const body = definitionBody('nobody', [ledger.url]);
    for (const callbackClients of [['upstream-dev'], ['stranger'], []]) {
      const res = await s.api('POST', '/definitions', { ...body, target: { ...body.target, callbackClients } });
      expectRefused(res, 422, 'VALIDATION_FAILED');
    }
    expect((await s.api('GET', '/definitions/nobody')).status).toBe(404);
  });
});

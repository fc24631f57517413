import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Audience, Scope } from '#ferry/contracts';
import { devToken } from '#ferry/testing';
import {
  defineAndTrigger,
  fakeDownstreams,
  type SchedulerUnderTest,
  startTestScheduler,
  waitForGroup,
} from '../support/scheduler.js';
import { expectRefused } from '../support/security.js';

jest.setTimeout(60_000);

// Issue 13's operator moves change runs, triggers, definitions and alerts: a reader (admin:read) may list
// and look, never move anything; each refusal is a 403 in the contract's shape and changes nothing.
describe('the operator moves need more than admin:read', () => {
  const downstreams = fakeDownstreams();
  let s: SchedulerUnderTest;
  const reader = () => devToken(Audience.scheduler, [Scope.adminRead], 'ferry-admin');

  beforeAll(async () => {
    s = await startTestScheduler('sqlite');
  });
  afterAll(async () => {
    await s?.close();
    await downstreams.closeAll();
  });

  it('refuses each move to a reader, and lets it read the new lists', async () => {
    const failing = await downstreams.start({ behaviour: 'fail' });
    const g = await defineAndTrigger(s, 'scopes', failing.url, 1, {
      retry: { maxAttempts: 1, initialDelaySeconds: 0.1, factor: 2, maxDelaySeconds: 1 },
    });
    const before = await waitForGroup(s, g, 'FAILED');
    const task = before.tasks[0].id as string;
    const trigger = before.triggerId as string;
    const alert = (await s.api('GET', '/alerts')).body.items[0]?.id ?? 'none';
    const moves: Array<[string, unknown]> = [
      [`/group-runs/${g}/rerun`, { from: 'start' }],
      [`/task-runs/${task}/mark-succeeded`, { reason: 'r' }],
      [`/triggers/${trigger}/replay`, undefined],
      ['/definitions/scopes/archive', undefined],
      ['/definitions/scopes/unarchive', undefined],
      [`/alerts/${alert}/silence`, { minutes: 5, comment: 'c' }],
      [`/alerts/${alert}/unack`, { comment: 'c' }],
    ];
    for (const [path, body] of moves) expectRefused(await s.api('POST', path, body, reader()), 403, 'FORBIDDEN');
    expect(await waitForGroup(s, g, 'FAILED')).toEqual(before);
    expect((await s.api('GET', '/definitions/scopes')).body.archivedAt).toBeNull();

    expect((await s.api('GET', '/task-runs', undefined, reader())).status).toBe(200);
    expect((await s.api('GET', `/group-runs/${g}/tasks`, undefined, reader())).status).toBe(200);
    expect((await s.api('GET', '/definitions/scopes/versions', undefined, reader())).status).toBe(200);
  });
});

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  defineAndTrigger,
  eventually,
  fakeDownstreams,
  type SchedulerUnderTest,
  startTestScheduler,
  triggerBody,
  triggerToken,
  waitForGroup,
} from '../support/scheduler.js';
import { expectRefused } from '../support/security.js';

jest.setTimeout(120_000);

type Alert = { id: string; kind: string; status: string; occurrences: number; notifiedAt: string; groupRunId: string };

// POST /alerts/{id}/silence and /alerts/{id}/unack; every raise notifies unless silenced (no silence window).
describe('operator moves on alerts (PostgreSQL)', () => {
  const downstreams = fakeDownstreams();
  let s: SchedulerUnderTest;

  beforeAll(async () => {
    s = await startTestScheduler('postgres', { FERRY_ALERT_SILENCE_SECONDS: '0' });
  });
  afterAll(async () => {
    await s?.close();
    await downstreams.closeAll();
  });

  const alerts = async () => (await s.api('GET', '/alerts?limit=500')).body.items as Alert[];
  const alert = async (id: string) => (await alerts()).find((a) => a.id === id)!;
  const unmatched = (messageId: string) =>
    s.api('POST', '/triggers', { ...triggerBody('nobody', 1, messageId), event: 'alerts.nobody' }, triggerToken());

  /** The UNMATCHED_TRIGGER alert of (billing, alerts.nobody), raised by a first trigger. */
  async function unmatchedAlert(): Promise<Alert> {
    await unmatched('m-alert-1');
    return eventually(async () => (await alerts()).find((a) => a.kind === 'UNMATCHED_TRIGGER' && a.status === 'OPEN'));
  }

  it('silences an alert: raised again meanwhile it counts but notifies no one; the comment is kept', async () => {
    const first = await unmatchedAlert();
    await unmatched('m-alert-2');
    const renotified = await eventually(async () => {
      const a = await alert(first.id);
      return a.occurrences === 2 && a;
    });
    expect(renotified.notifiedAt >= first.notifiedAt).toBe(true);

    const res = await s.api('POST', `/alerts/${first.id}/silence`, { minutes: 60, comment: 'known: source moving' });
    expect(res.status).toBe(200);
    expect(Date.parse(res.body.silencedUntil) - Date.now()).toBeGreaterThan(59 * 60_000);
    expect(res.body.comments).toEqual([
      { action: 'SILENCE', text: 'known: source moving', by: 'ferry-admin', at: expect.any(String) },
    ]);
    await unmatched('m-alert-3');
    const silenced = await eventually(async () => {
      const a = await alert(first.id);
      return a.occurrences === 3 && a;
    });
    expect(silenced.notifiedAt).toBe(renotified.notifiedAt);
  });

  it('un-acknowledges an alert: OPEN again, with the comment', async () => {
    const failing = await downstreams.start({ behaviour: 'fail' });
    const g = await defineAndTrigger(s, 'alerts-failed', failing.url, 1, {
      retry: { maxAttempts: 1, initialDelaySeconds: 0.1, factor: 2, maxDelaySeconds: 1 },
    });
    await waitForGroup(s, g, 'FAILED');
    const failed = await eventually(async () =>
      (await alerts()).find((a) => a.groupRunId === g && a.kind === 'FAILED'),
    );
    expect((await s.api('POST', `/alerts/${failed.id}/ack`)).body.status).toBe('ACKNOWLEDGED');
    const res = await s.api('POST', `/alerts/${failed.id}/unack`, { comment: 'not fixed after all' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'OPEN',
      acknowledgedAt: null,
      acknowledgedBy: null,
      comments: [{ action: 'UNACK', text: 'not fixed after all', by: 'ferry-admin' }],
    });
  });

  it('refuses an unknown alert, a bad body and a wrong state, changing nothing', async () => {
    const open = (await alerts()).find((a) => a.status === 'OPEN')!;
    const before = await alert(open.id);
    expectRefused(await s.api('POST', '/alerts/no-such-alert/silence', { minutes: 5, comment: 'c' }), 404, 'NOT_FOUND');
    expectRefused(await s.api('POST', '/alerts/no-such-alert/unack', { comment: 'c' }), 404, 'NOT_FOUND');
    for (const body of [undefined, {}, { minutes: 0, comment: 'c' }, { minutes: 5 }, { minutes: 5, comment: '' }])
      expectRefused(await s.api('POST', `/alerts/${open.id}/silence`, body), 422, 'VALIDATION_FAILED');
    for (const body of [undefined, {}, { comment: 'c', extra: 1 }])
      expectRefused(await s.api('POST', `/alerts/${open.id}/unack`, body), 422, 'VALIDATION_FAILED');
    expectRefused(await s.api('POST', `/alerts/${open.id}/unack`, { comment: 'it is open' }), 409, 'CONFLICT');
    expect(await alert(open.id)).toEqual(before);
  });
});

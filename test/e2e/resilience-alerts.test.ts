import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Audience, Scope } from '#ferry/contracts';
import {
  devToken,
  FakeDownstream,
  type FakeDownstreamOptions,
  SmtpSink,
  TEST_DB_TYPES,
  WebhookReceiver,
} from '#ferry/testing';
import { LogChannel } from '../../apps/scheduler/src/index.js';
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

// Alerts against real receivers: an HTTP server for webhooks, an SMTP server on localhost (nodemailer
// speaks real SMTP to it), and the log channel writing into an array. Time is the scheduler's clock,
// moved forward by the test; everything else (queues, delivery retries) runs in real time.
const MIN = 60_000;
jest.setTimeout(30_000);
const recon = (n: number) => ({
  expected: n,
  received: n,
  inserted: n,
  updated: 0,
  deleted: 0,
  unchanged: 0,
  rejected: 0,
});

describe.each(TEST_DB_TYPES)('alerts on %s', (dbType) => {
  let s: SchedulerUnderTest;
  let hooks: WebhookReceiver;
  let smtp: SmtpSink;
  const logLines: string[] = [];
  const fakes = fakeDownstreams();
  let offset = 0;
  // Jumps forward by minutes: definitions here set long attempt timeouts so that only deadlines fire.
  const clock = () => Date.now() + offset;

  beforeAll(async () => {
    hooks = await new WebhookReceiver().start();
    smtp = await new SmtpSink().start();
    s = await startTestScheduler(
      dbType,
      {
        FERRY_OVERDUE_SWEEP_MS: '100',
        FERRY_ALERT_POLL_MS: '50',
        FERRY_ALERT_SILENCE_SECONDS: '600',
        FERRY_SMTP_URL: smtp.url,
        FERRY_ALERT_CHANNELS: JSON.stringify([{ type: 'log' }, { type: 'webhook', url: `${hooks.url}/default` }]),
      },
      { overrides: { clock, alertChannels: { 'alert.log': new LogChannel((line) => logLines.push(line)) } } },
    );
  });
  afterAll(async () => {
    await s?.close();
    await Promise.all([hooks?.close(), smtp?.close(), fakes.closeAll()]);
  });

  const fake = (options: FakeDownstreamOptions) => fakes.start(options);
  async function run(
    name: string,
    f: FakeDownstream,
    files: number,
    overrides: Record<string, unknown>,
    businessDate?: string,
  ) {
    expect((await s.api('POST', '/definitions', definitionBody(name, [f.url], overrides))).status).toBe(201);
    const posted = await s.api(
      'POST',
      '/triggers',
      { ...triggerBody(name, files), ...(businessDate ? { businessDate } : {}) },
      triggerToken(),
    );
    expect(posted.status).toBe(202);
    return posted.body.groupRuns[0].id as string;
  }
  const alertsOf = async (groupRunId: string) => {
    const all = (await s.api('GET', '/alerts?limit=500')).body.items as any[];
    return all.filter((a) => a.groupRunId === groupRunId);
  };
  const alertOf = (groupRunId: string, kind: string) =>
    eventually(
      async () => (await alertsOf(groupRunId)).find((a) => a.kind === kind),
      10_000,
      `${kind} alert of ${groupRunId}`,
    );
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it(
    'relative deadline: one OVERDUE alert per channel (JSON and Slack webhooks, e-mail, log); ' +
      'the run goes on and success resolves it',
    async () => {
      const f = await fake({ behaviour: 'manual' });
      const channels = [
        { type: 'log' },
        { type: 'webhook', url: `${hooks.url}/late` },
        { type: 'webhook', url: `${hooks.url}/late-slack`, format: 'slack' },
        { type: 'email', to: ['ops@example.com'] },
      ];
      const gid = await run(`late-${dbType}`, f, 2, {
        deadline: { afterTriggerMinutes: 30 },
        alerts: { channels },
        attemptTimeoutSeconds: 7200,
      });
      await eventually(async () => f.starts.length === 2);
      await sleep(300);
      expect(await alertsOf(gid)).toEqual([]);

      offset += 31 * MIN;
      const alert = await alertOf(gid, 'OVERDUE');
      expect(alert).toMatchObject({ status: 'OPEN', definition: `late-${dbType}`, groupRunId: gid, triggerId: null });
      let got: Record<string, number> = {};
      await eventually(async () => {
        got = {
          json: hooks.on('/late').length,
          slack: hooks.on('/late-slack').length,
          mail: smtp.mails.filter((m) => m.subject.includes(gid)).length,
          log: logLines.filter((l) => l.includes(gid)).length,
        };
        return Object.values(got).every((n) => n > 0);
      }, 10_000).catch(() => {
        throw new Error(`not every channel was reached: ${JSON.stringify(got)}`);
      });
      await sleep(800); // many sweeps, and the tasks' own OVERDUE moves, raise it again: nobody hears twice
      expect(hooks.on('/late').map((r) => r.body)).toEqual([
        { type: 'ferry.alert', alert: expect.objectContaining({ id: alert.id, kind: 'OVERDUE', groupRunId: gid }) },
      ]);
      expect(hooks.on('/late-slack').map((r) => r.body)).toEqual([
        { text: expect.stringContaining(`OVERDUE late-${dbType}`) },
      ]);
      const mails = smtp.mails.filter((m) => m.subject.includes(gid));
      expect(mails).toHaveLength(1);
      expect(mails[0]).toMatchObject({
        from: 'ferry-scheduler@localhost',
        to: ['ops@example.com'],
        subject: expect.stringContaining('OVERDUE'),
      });
      expect(logLines.filter((l) => l.includes(gid))).toHaveLength(1);
      // the definition's channels replace the defaults
      expect(hooks.on('/default').filter((r) => r.body.alert.groupRunId === gid)).toEqual([]);

      const live = (await s.api('GET', `/group-runs/${gid}`)).body;
      expect(live).toMatchObject({ status: 'RUNNING', overdue: true });
      await eventually(async () =>
        (await s.api('GET', `/group-runs/${gid}`)).body.tasks.every((t: any) => t.overdue && t.status === 'ACCEPTED'),
      );
      for (const st of f.starts)
        await f.report(st.jobId, { status: 'SUCCEEDED', reconciliation: recon(st.body.files[0].recordCount!) });
      await waitForGroup(s, gid, 'SUCCEEDED');
      const resolved = await eventually(async () => (await alertsOf(gid)).find((a) => a.status === 'RESOLVED'));
      expect(resolved).toMatchObject({ id: alert.id, kind: 'OVERDUE', resolvedAt: expect.any(String) });
      expect((await alertsOf(gid)).map((a) => a.kind)).toEqual(['OVERDUE']);
    },
  );

  it(
    'cut-off in a time zone with action FAIL: the live tasks fail at the deadline; ' +
      'OVERDUE and FAILED go to the default channels once',
    async () => {
      const f = await fake({ behaviour: 'manual' });
      // A cut-off a few minutes ahead of the scheduler's clock, as a Tokyo wall time on a Tokyo business date.
      const at = new Date(clock() + 5 * MIN);
      const parts = Object.fromEntries(
        new Intl.DateTimeFormat('en-CA', {
          timeZone: 'Asia/Tokyo',
          hourCycle: 'h23',
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
          hour: '2-digit',
          minute: '2-digit',
        })
          .formatToParts(at)
          .map((p) => [p.type, p.value]),
      );
      const cutoff = `${parts.hour}:${parts.minute}`;
      const name = `cutoff-${dbType}`;
      const gid = await run(
        name,
        f,
        2,
        { deadline: { cutoff, timeZone: 'Asia/Tokyo', action: 'FAIL' }, attemptTimeoutSeconds: 7200 },
        `${parts.year}-${parts.month}-${parts.day}`,
      );
      const group = (await s.api('GET', `/group-runs/${gid}`)).body;
      expect(Date.parse(group.deadlineAt)).toBe(Math.floor(at.getTime() / MIN) * MIN);
      await eventually(async () => f.starts.length === 2);
      await sleep(300);
      expect(await alertsOf(gid)).toEqual([]);

      offset += 6 * MIN;
      const failed = await waitForGroup(s, gid, 'FAILED');
      expect(failed.tasks.map((t: any) => [t.status, t.lastError.code, t.overdue])).toEqual([
        ['FAILED', 'DEADLINE_PASSED', true],
        ['FAILED', 'DEADLINE_PASSED', true],
      ]);
      const events = (await s.api('GET', `/task-runs/${failed.tasks[0].id}`)).body.events;
      expect(events.at(-1)).toMatchObject({ to: 'FAILED', actor: 'system', reason: 'DEADLINE_PASSED' });
      await alertOf(gid, 'OVERDUE');
      await alertOf(gid, 'FAILED');
      await eventually(async () => hooks.on('/default').filter((r) => r.body.alert.groupRunId === gid).length === 2);
      await sleep(600);
      expect(
        hooks
          .on('/default')
          .filter((r) => r.body.alert.groupRunId === gid)
          .map((r) => r.body.alert.kind)
          .sort(),
      ).toEqual(['FAILED', 'OVERDUE']);
      expect(logLines.filter((l) => l.includes(gid))).toHaveLength(2);
      // The downstream finishing late changes nothing.
      expect((await f.report(f.starts[0].jobId, { status: 'SUCCEEDED', reconciliation: recon(10) })).status).toBe(409);
    },
  );

  it(
    'FAILED: one alert per group run however many tasks fail; ' +
      'silent within the window, heard again after it; resolved by a later success',
    async () => {
      const f = await fake({ behaviour: 'fail' });
      const path = `/fails-${dbType}`;
      hooks.failNext = { count: 2, status: 503 }; // delivery is retried with backoff until the receiver takes it
      const gid = await run(`fails-${dbType}`, f, 3, {
        retry: { maxAttempts: 1, initialDelaySeconds: 0.05, factor: 2, maxDelaySeconds: 1 },
        alerts: { channels: [{ type: 'webhook', url: `${hooks.url}${path}` }] },
      });
      const failed = await waitForGroup(s, gid, 'FAILED');
      const alert = await alertOf(gid, 'FAILED');
      expect(alert).toMatchObject({ status: 'OPEN', message: expect.stringMatching(/failed: INJECTED/) });
      await eventually(async () => hooks.on(path).length === 1, 10_000, 'the retried delivery');
      await sleep(400);
      expect(hooks.on(path)).toHaveLength(1);

      const retry = async () => {
        for (const t of failed.tasks) expect((await s.api('POST', `/task-runs/${t.id}/retry`)).status).toBe(200);
        return waitForGroup(s, gid, f.options.behaviour === 'fail' ? 'FAILED' : 'SUCCEEDED');
      };
      await retry(); // fails again within the silence window: counted, not sent
      await eventually(async () => (await alertOf(gid, 'FAILED')).occurrences > alert.occurrences);
      await sleep(400);
      expect(hooks.on(path)).toHaveLength(1);

      offset += 11 * MIN; // past the 10-minute silence window
      await retry();
      await eventually(async () => hooks.on(path).length === 2, 10_000, 'a second notification after the window');

      f.options.behaviour = 'succeed';
      await retry();
      const resolved = await eventually(async () => (await alertsOf(gid)).find((a) => a.status === 'RESOLVED'));
      expect(resolved.id).toBe(alert.id);
      expect(hooks.on(path)).toHaveLength(2);
    },
  );

  it(
    'RECONCILIATION_MISMATCH and UNMATCHED_TRIGGER alerts; ' + 'list by status with cursor paging; acknowledgement',
    async () => {
      const f = await fake({ reconcile: (req) => ({ ...recon(req.files[0].recordCount!), inserted: 1 }) });
      const gid = await run(`recon-${dbType}`, f, 1, {});
      await waitForGroup(s, gid, 'SUCCEEDED');
      const mismatch = await alertOf(gid, 'RECONCILIATION_MISMATCH');
      expect(mismatch).toMatchObject({ status: 'OPEN', message: expect.stringContaining('received 10 but') });

      const unmatched = await s.api(
        'POST',
        '/triggers',
        { messageId: `nobody-${dbType}`, source: 'billing', event: 'nobody.listens' },
        triggerToken(),
      );
      expect(unmatched.body.groupRuns).toEqual([]);
      // Committed with the trigger itself: it is there as soon as the
      // trigger is answered (no crash can keep one without the other).
      const orphan = ((await s.api('GET', '/alerts?status=OPEN&limit=500')).body.items as any[]).find(
        (a) => a.kind === 'UNMATCHED_TRIGGER' && a.triggerId === unmatched.body.triggerId,
      );
      expect(orphan).toMatchObject({ groupRunId: null, message: expect.stringContaining('nobody.listens') });

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = (await s.api('GET', `/alerts?limit=1${cursor ? `&cursor=${cursor}` : ''}`)).body;
        expect(page.items.length).toBeLessThanOrEqual(1);
        seen.push(...page.items.map((a: any) => a.id));
        cursor = page.nextCursor;
      } while (cursor);
      const all = (await s.api('GET', '/alerts?limit=500')).body.items.map((a: any) => a.id);
      expect(seen).toEqual(all);
      expect(new Set(seen).size).toBe(seen.length);

      const acked = await s.api('POST', `/alerts/${mismatch.id}/ack`);
      expect(acked.status).toBe(200);
      expect(acked.body).toMatchObject({
        id: mismatch.id,
        status: 'ACKNOWLEDGED',
        acknowledgedBy: 'ferry-admin',
        acknowledgedAt: expect.any(String),
      });
      expect((await s.api('POST', `/alerts/${mismatch.id}/ack`)).body.status).toBe('ACKNOWLEDGED');
      expect((await s.api('GET', '/alerts?status=OPEN&limit=500')).body.items.map((a: any) => a.id)).not.toContain(
        mismatch.id,
      );
      expect((await s.api('GET', '/alerts?status=ACKNOWLEDGED&limit=500')).body.items.map((a: any) => a.id)).toContain(
        mismatch.id,
      );
      const resolved = ((await s.api('GET', '/alerts?status=RESOLVED&limit=500')).body.items as any[])[0];
      expect(resolved).toBeDefined();
      expect((await s.api('POST', `/alerts/${resolved.id}/ack`)).status).toBe(409);
      expect((await s.api('POST', '/alerts/00000000-0000-4000-8000-000000000000/ack')).status).toBe(404);
      // An id with anything after it is another id: 404, not the alert it starts with.
      expect((await s.api('POST', `/alerts/${mismatch.id}junk/ack`)).status).toBe(404);
      expect((await s.api('GET', '/alerts?status=BOGUS')).status).toBe(422);
      const readOnly = devToken(Audience.scheduler, [Scope.adminRead], 'ferry-admin');
      expect((await s.api('POST', `/alerts/${orphan.id}/ack`, undefined, readOnly)).status).toBe(403);
      expect((await s.api('GET', '/alerts', undefined, triggerToken())).status).toBe(403);
    },
  );
});

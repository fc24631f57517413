import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Audience, Scope } from '#ferry/contracts';
import { JobName } from '#ferry/queue';
import { devToken, SmtpSink, TEST_REDIS_URL, WebhookReceiver } from '#ferry/testing';
import {
  definitionBody,
  eventually,
  type SchedulerUnderTest,
  startTestScheduler,
  triggerBody,
  triggerToken,
} from '../support/scheduler.js';
import { expectRefused } from '../support/security.js';

// Finding 8 (scheduler side): what senders and peers can make the scheduler read, write and send is
// bounded, and sender text is escaped where it reaches people.

/**
 * A downstream that misbehaves by the first segment of its path (each definition's target URL names
 * one): `huge` answers a sync request with 5 MiB, `badid` with a job id that is a path, `badpoll`
 * accepts properly but answers its polls with a shape that is not a job's.
 */
class HostileDownstream {
  private server?: Server;
  url = '';
  readonly hits: string[] = [];

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const [, mode, rest] = /^\/([^/]+)(\/.*)$/.exec(req.url ?? '') ?? [];
        this.hits.push(`${req.method} ${req.url}`);
        const json = (status: number, body: unknown) => {
          const text = JSON.stringify(body);
          res.writeHead(status, { 'content-type': 'application/json' }).end(text);
        };
        if (req.method === 'POST' && rest === '/api/v1/sync-jobs') {
          if (mode === 'huge') {
            // Chunked, no content-length: the cap must count what arrives, not trust a header.
            res.writeHead(202, { 'content-type': 'application/json' });
            res.write('{"jobId":"j-1","status":"ACCEPTED","pad":"');
            const mib = 'x'.repeat(1024 * 1024);
            for (let i = 0; i < 5; i++) res.write(mib);
            res.end('"}');
            return;
          }
          if (mode === 'badid') return json(202, { jobId: '../../admin?x=<script>', status: 'ACCEPTED' });
          return json(202, { jobId: 'job-1', status: 'ACCEPTED' });
        }
        if (req.method === 'GET' && rest?.startsWith('/api/v1/sync-jobs/'))
          return json(200, { jobId: 'job-1', status: 'MAYBE', progress: 'half' });
        json(404, { error: { code: 'NOT_FOUND', message: 'no', details: [] } });
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

const readOnly = () => devToken(Audience.scheduler, [Scope.adminRead], 'ferry-admin');

describe('bounds on sqlite', () => {
  let s: SchedulerUnderTest;
  let hostile: HostileDownstream;
  let hooks: WebhookReceiver;
  let redis: Redis;
  let queue: Queue;
  const triggers = async () => (await s.api('GET', '/triggers?limit=500')).body.items as any[];
  const groupRuns = async (definition: string) =>
    (await s.api('GET', `/group-runs?definition=${definition}`)).body.items as any[];
  const define = async (name: string, url: string, overrides: Record<string, unknown> = {}) => {
    const res = await s.api('POST', '/definitions', definitionBody(name, [url], overrides));
    expect(res.status).toBe(201);
  };
  /** The one task of a one-file run of `name`, once it is FAILED. */
  const failedTask = async (name: string) => {
    const posted = await s.api('POST', '/triggers', triggerBody(name, 1), triggerToken());
    expect(posted.status).toBe(202);
    const gid = posted.body.groupRuns[0].id;
    const group = await eventually(async () => {
      const g = (await s.api('GET', `/group-runs/${gid}`)).body;
      return g.status === 'FAILED' ? g : undefined;
    });
    return group.tasks[0];
  };

  beforeAll(async () => {
    hostile = await new HostileDownstream().start();
    hooks = await new WebhookReceiver().start();
    s = await startTestScheduler('sqlite', {
      FERRY_SCHEDULER_MAX_FILES_PER_TRIGGER: '5',
      FERRY_SCHEDULER_MAX_TASKS_PER_GROUP: '5',
      FERRY_ALERT_MAX_ATTEMPTS: '2',
      FERRY_ALERT_POLL_MS: '50',
      FERRY_ALERT_CHANNELS: JSON.stringify([{ type: 'webhook', url: `${hooks.url}/alerts` }]),
    });
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue(s.config.triggerQueue, { connection: redis, prefix: s.config.redis.prefix });
  });
  afterAll(async () => {
    await queue?.close();
    redis?.disconnect();
    await s?.close();
    await hostile?.close();
    await hooks?.close();
  });

  it('a downstream answering 5 MiB: the attempt fails naming the cap, and the scheduler stays up', async () => {
    await define('huge', `${hostile.url}/huge`, { retry: { maxAttempts: 1 } });
    const task = await failedTask('huge');
    expect(task.lastError).toEqual({
      code: 'DOWNSTREAM_ANSWER_TOO_LARGE',
      message: 'The answer is larger than the 1048576-byte limit',
    });
    expect((await fetch(`${s.handle.url}/health/live`)).status).toBe(200);
    expect((await s.api('GET', '/definitions/huge')).status).toBe(200);
  });

  it("a bad job id, or a poll answer that is not a job's: a failed attempt with the reason", async () => {
    await define('badid', `${hostile.url}/badid`, { retry: { maxAttempts: 1 } });
    const bad = await failedTask('badid');
    expect(bad.lastError.code).toBe('DOWNSTREAM_BAD_ANSWER');
    expect(bad.lastError.message).toContain('jobId must match pattern');
    expect(bad.downstreamJobId).toBeNull();
    // Nothing was asked of the downstream with that id.
    expect(hostile.hits.filter((h) => h.includes('admin'))).toEqual([]);

    await define('badpoll', `${hostile.url}/badpoll`, { retry: { maxAttempts: 1 } });
    const polled = await failedTask('badpoll');
    expect(polled.lastError.code).toBe('DOWNSTREAM_BAD_ANSWER');
    expect(polled.lastError.message).toMatch(/job status is invalid: .*status must be equal to one of the allowed/);
  });

  it('more files than configured: 422 over HTTP, REJECTED from the queue; nothing else written', async () => {
    await define('capped', `${hostile.url}/ok`);
    const before = await triggers();
    const text = expectRefused(
      await s.api('POST', '/triggers', triggerBody('capped', 6), triggerToken()),
      422,
      'VALIDATION_FAILED',
    );
    expect(text).toContain('at most 5');
    expect(await triggers()).toEqual(before);
    expect(await groupRuns('capped')).toEqual([]);

    // A manual run is held to the tasks-per-group cap the same way.
    const manual = await s.api('POST', '/definitions/capped/runs', { files: triggerBody('capped', 6).files });
    expect(expectRefused(manual, 422, 'VALIDATION_FAILED')).toContain('at most 5');
    expect(await groupRuns('capped')).toEqual([]);

    const job = await queue.add(JobName.trigger, triggerBody('capped', 1000, 'm-queued-many'));
    const { rejected } = await eventually(async () => (await queue.getJob(job.id!))?.returnvalue);
    const kept = (await triggers()).find((t) => t.id === rejected);
    expect(kept).toMatchObject({ status: 'REJECTED', reason: expect.stringContaining('at most 5') });
    expect(await groupRuns('capped')).toEqual([]);
  });

  it('lists carry a bounded summary of each payload; the trigger itself has it whole', async () => {
    const rejected = (await triggers()).find((t) => t.status === 'REJECTED' && t.fileCount === 1000);
    expect(rejected).toMatchObject({ payloadTruncated: true, payload: { messageId: 'm-queued-many' } });
    expect(rejected.payload.files).toHaveLength(10);
    const whole = await s.api('GET', `/triggers/${rejected.id}`);
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({ id: rejected.id, fileCount: 1000, payloadTruncated: false });
    expect(whole.body.payload.files).toHaveLength(1000);

    const big = { ...triggerBody('capped', 2, 'm-big-attributes'), attributes: { blob: 'a'.repeat(100_000) } };
    const posted = await s.api('POST', '/triggers', big, triggerToken());
    expect(posted.status).toBe(202);
    const listed = (await triggers()).find((t) => t.id === posted.body.triggerId);
    expect(listed).toMatchObject({ fileCount: 2, payloadTruncated: true });
    expect(listed.payload.attributes).toBeUndefined();
    expect(JSON.stringify(listed).length).toBeLessThan(5000);
    expect((await s.api('GET', `/triggers/${posted.body.triggerId}`)).body.payload).toEqual(big);
    expectRefused(await s.api('GET', '/triggers/no-such-trigger'), 404, 'NOT_FOUND');
  });

  it('an alert notification is dead after the configured attempts, listed, and retried through the API', async () => {
    // A receiver of this definition's alerts alone, failing its first two deliveries.
    const failing = await new WebhookReceiver().start();
    try {
      failing.failNext = { count: 2, status: 503 };
      const channels = [{ type: 'webhook', url: `${failing.url}/secret-hook-path` }];
      await define('deadhook', `${hostile.url}/huge`, { retry: { maxAttempts: 1 }, alerts: { channels } });
      await failedTask('deadhook');
      const dead = await eventually(async () => {
        const page = (await s.api('GET', '/alert-deliveries', undefined, readOnly())).body;
        return page.items.find((d: any) => d.destination === failing.url);
      });
      expect(dead).toMatchObject({
        channel: 'webhook',
        status: 'DEAD',
        attempts: 2,
        lastError: expect.stringMatching(/^gave up after 2 attempts: HTTP 503/),
        deadAt: expect.any(String),
        nextAttemptAt: null,
      });
      expect(failing.failNext.count).toBe(0);
      // Given up: not tried again by itself.
      await new Promise((r) => setTimeout(r, 1500));
      expect(failing.received).toEqual([]);

      // Retrying needs admin:write; then it is delivered and no longer listed.
      const retry = `/alert-deliveries/${dead.id}/retry`;
      expectRefused(await s.api('POST', retry, undefined, readOnly()), 403, 'FORBIDDEN');
      const retried = await s.api('POST', retry);
      expect(retried.status).toBe(200);
      expect(retried.body).toMatchObject({ id: dead.id, status: 'PENDING', attempts: 0 });
      const delivered = await eventually(async () => failing.received[0]);
      expect(delivered.body.alert).toMatchObject({ id: dead.alertId, kind: 'FAILED', definition: 'deadhook' });
      await eventually(async () => {
        const items = (await s.api('GET', '/alert-deliveries')).body.items as any[];
        return !items.some((d) => d.id === dead.id);
      });
      expectRefused(await s.api('POST', retry), 409, 'CONFLICT');
      expectRefused(await s.api('POST', '/alert-deliveries/nope/retry'), 404, 'NOT_FOUND');
      expectRefused(await s.api('GET', '/alert-deliveries?status=DELIVERED'), 422, 'VALIDATION_FAILED');
    } finally {
      await failing.close();
    }
  });
});

/** A mail header's value with its RFC 2047 encoded words (`=?UTF-8?Q?…?=`) decoded. */
function decodeHeader(value: string): string {
  return value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_, q: string) =>
    Buffer.from(
      q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8'),
  );
}

describe('unmatched-trigger alerts on postgres', () => {
  let s: SchedulerUnderTest;
  let hooks: WebhookReceiver;
  let smtp: SmtpSink;
  const source = 'crm <!channel>';
  const event = 'orders.ready\r\nBcc: victim@example.com';

  beforeAll(async () => {
    hooks = await new WebhookReceiver().start();
    smtp = await new SmtpSink().start();
    s = await startTestScheduler('postgres', {
      FERRY_ALERT_POLL_MS: '50',
      FERRY_SMTP_URL: smtp.url,
      FERRY_ALERT_CHANNELS: JSON.stringify([
        { type: 'webhook', url: `${hooks.url}/json` },
        { type: 'webhook', url: `${hooks.url}/slack`, format: 'slack' },
        { type: 'email', to: ['ops@example.com'] },
      ]),
    });
  });
  afterAll(async () => {
    await s?.close();
    await hooks?.close();
    await smtp?.close();
  });

  it('a flood of unmatched triggers for one (source, event) is one alert, notified once', async () => {
    const posts = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        s.api('POST', '/triggers', { messageId: `m-${i}`, source, event }, triggerToken()),
      ),
    );
    expect(posts.map((p) => p.status)).toEqual(Array(30).fill(202));
    const alerts = ((await s.api('GET', '/alerts?limit=500')).body.items as any[]).filter(
      (a) => a.kind === 'UNMATCHED_TRIGGER',
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ status: 'OPEN', occurrences: 30 });
    await eventually(async () => hooks.on('/json').length >= 1 && hooks.on('/slack').length >= 1 && smtp.mails.length);
    await new Promise((r) => setTimeout(r, 500));
    expect([hooks.on('/json').length, hooks.on('/slack').length, smtp.mails.length]).toEqual([1, 1, 1]);

    // Once acknowledged, the next such message is news again: a new alert.
    expect((await s.api('POST', `/alerts/${alerts[0].id}/ack`)).status).toBe(200);
    await s.api('POST', '/triggers', { messageId: 'm-after-ack', source, event }, triggerToken());
    const open = ((await s.api('GET', '/alerts?status=OPEN')).body.items as any[]).filter(
      (a) => a.kind === 'UNMATCHED_TRIGGER',
    );
    expect(open).toHaveLength(1);
    expect(open[0].id).not.toBe(alerts[0].id);
  });

  it("the sender's text is escaped for Slack and cannot add a mail header", async () => {
    const text: string = hooks.on('/slack')[0].body.text;
    expect(text).toContain('crm &lt;!channel&gt;');
    expect(text).not.toMatch(/<!channel>/);
    const mail = smtp.mails[0];
    expect(decodeHeader(mail.subject)).toContain('"orders.ready Bcc: victim@example.com"');
    const headers = mail.data.slice(0, mail.data.indexOf('\r\n\r\n'));
    expect(headers).not.toMatch(/^Bcc:/im);
    expect(mail.to).toEqual(['ops@example.com']);
  });
});

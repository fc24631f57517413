import 'reflect-metadata';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Audience, Scope } from '#ferry/contracts';
import { demoDatasetSpec, demoRecord } from '#ferry/datasets';
import { setupTestTracing, shutdownTracing } from '#ferry/observability';
import {
  DEV_MODE_ENV,
  call,
  createTestDatabase,
  DEV_SECRET,
  devToken,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
} from '#ferry/testing';
import { startConsumer } from '../../apps/consumer/src/start.js';
import { type RunningApp, startProvider } from '../../apps/provider/src/start.js';
import { schedulerConfigFromEnv, type SchedulerHandle, startScheduler } from '../../apps/scheduler/src/index.js';
import { testConsumerConfig, testProviderConfig } from '../support/apps.js';
import { ensureBuilt } from '../support/build.js';
import { eventually } from '../support/scheduler.js';

jest.setTimeout(60_000);

// Secrets that travel in this run and must never reach a log line.
const PROFILE_SECRET = 'profile-secret-0123456789-abcdef';
const admin = devToken(Audience.scheduler, [Scope.adminRead, Scope.adminWrite], 'ferry-admin');
const publisher = devToken(Audience.provider, [Scope.dataWrite, Scope.dataRead]);

/** Every log line of the three apps, as JSON. */
class Capture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  json(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l));
  }
}

describe('one file from provider to consumer, observed', () => {
  const exporter = new InMemorySpanExporter();
  const logs = new Capture();
  const dbs: TestDatabase[] = [];
  let scheduler: SchedulerHandle;
  let provider: RunningApp;
  let consumer: RunningApp;
  let taskRunId = '';

  beforeAll(async () => {
    await ensureBuilt();
    setupTestTracing(exporter);
    const [sDb, pDb, cDb] = [
      await createTestDatabase('sqlite'),
      await createTestDatabase('sqlite'),
      await createTestDatabase('sqlite'),
    ];
    dbs.push(sDb, pDb, cDb);
    const on = { FERRY_TRACING_ENABLED: 'true', FERRY_LOG_LEVEL: 'debug' };
    const config = schedulerConfigFromEnv({
      ...DEV_MODE_ENV,
      FERRY_SCHEDULER_PORT: '0',
      FERRY_SCHEDULER_HOST: '127.0.0.1',
      FERRY_REDIS_URL: TEST_REDIS_URL,
      FERRY_QUEUE_PREFIX: uniquePrefix('obs'),
      ...on,
    });
    config.db = sDb.config;
    config.logLevels = ['log', 'error', 'warn', 'fatal'];
    scheduler = await startScheduler(config, { observability: { logDestination: logs } });
    provider = await startProvider(
      testProviderConfig(pDb.config, scheduler.url, { ...on, FERRY_PROVIDER_LOG: 'true' }),
      { logDestination: logs },
    );
    const clients = [
      {
        clientId: 'ferry-scheduler',
        keys: [{ alg: 'HS256', secret: DEV_SECRET }],
        scopes: ['sync:write', 'sync:read'],
      },
      {
        clientId: 'sched-profile',
        keys: [{ alg: 'HS256', secret: PROFILE_SECRET }],
        scopes: ['sync:write', 'sync:read'],
      },
    ];
    consumer = await startConsumer(
      testConsumerConfig(cDb.config, provider.url, {
        ...on,
        FERRY_CONSUMER_LOG: 'true',
        FERRY_CONSUMER_CLIENTS: JSON.stringify(clients),
      }),
      { logDestination: logs },
    );

    const api = (method: string, url: string, body: unknown, token: string) => call(method, url, { body, token });
    expect(
      (
        await api(
          'POST',
          `${scheduler.url}/api/v1/auth-profiles`,
          {
            name: 'consumer-profile',
            issuer: 'sched-profile',
            audience: 'ferry-consumer',
            scopes: ['sync:write', 'sync:read'],
            alg: 'HS256',
            secret: PROFILE_SECRET,
          },
          admin,
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await api(
          'POST',
          `${scheduler.url}/api/v1/definitions`,
          {
            name: 'observed',
            mode: 'ASYNC',
            bindings: [{ source: 'ferry-provider', event: 'customers.ready' }],
            target: { urls: [consumer.url], authProfile: 'consumer-profile' },
            pollIntervalSeconds: 5,
            attemptTimeoutSeconds: 60,
          },
          admin,
        )
      ).status,
    ).toBe(201);
    expect((await api('POST', `${provider.url}/api/v1/datasets`, demoDatasetSpec('customers'), publisher)).status).toBe(
      201,
    );
    const records = Array.from({ length: 45 }, (_, i) => demoRecord(i + 1));
    expect(
      (
        await api(
          'POST',
          `${provider.url}/api/v1/datasets/customers/files`,
          { fileId: 'obs-1', mode: 'snapshot', records },
          publisher,
        )
      ).status,
    ).toBe(201);

    taskRunId = await eventually(
      async () => {
        const runs = (await api('GET', `${scheduler.url}/api/v1/group-runs?definition=observed`, undefined, admin))
          .body;
        const id = runs?.items?.[0]?.id;
        if (!id) return undefined;
        const group = (await api('GET', `${scheduler.url}/api/v1/group-runs/${id}`, undefined, admin)).body;
        return group.status === 'SUCCEEDED' ? (group.tasks[0].id as string) : undefined;
      },
      30_000,
      'the group run to succeed',
    );
    // The last spans (the callback's) end as its answer is written.
    await new Promise((r) => setTimeout(r, 300));
  });

  afterAll(async () => {
    await consumer?.close();
    await provider?.close();
    await scheduler?.close();
    await shutdownTracing();
    for (const d of dbs) await d.drop();
  });

  it('keeps tokens and secrets out of every log line', () => {
    const text = logs.lines.join('\n');
    expect(logs.lines.length).toBeGreaterThan(10);
    for (const secret of [PROFILE_SECRET, DEV_SECRET, admin, publisher]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/);
    expect(text.toLowerCase()).not.toContain('bearer ');
  });

  it('writes one line per request and per task move, with the ids and the trace id', () => {
    const lines = logs.json();
    const moves = lines.filter((l) => l.event === 'task.move' && l.taskRunId === taskRunId);
    expect(moves.map((m) => m.to)).toContain('SUCCEEDED');
    const done = moves.find((m) => m.to === 'SUCCEEDED')!;
    expect(done).toMatchObject({
      app: 'ferry-scheduler',
      level: 'info',
      from: expect.any(String),
      groupRunId: expect.any(String),
      dispatchId: expect.any(String),
      jobId: expect.any(String),
    });
    expect(done.traceId).toMatch(/^[0-9a-f]{32}$/);
    const callback = lines.find(
      (l) => l.route === '/api/v1/callbacks/tasks/:taskRunId' && l.taskRunId === taskRunId && l.status === 200,
    );
    expect(callback).toMatchObject({
      app: 'ferry-scheduler',
      method: 'POST',
      dispatchId: done.dispatchId,
      traceId: done.traceId,
      level: 'info',
      msg: 'POST /api/v1/callbacks/tasks/:taskRunId 200',
    });
    expect(callback!.reqId).toMatch(/^[0-9a-f-]{36}$/);
    expect(callback!.responseTime).toEqual(expect.any(Number));
    const trigger = lines.find((l) => l.route === '/api/v1/triggers');
    expect(trigger).toMatchObject({
      status: 202,
      triggerId: expect.any(String),
      groupRunId: done.groupRunId,
      traceId: done.traceId,
    });
    expect(
      lines.some((l) => l.app === 'ferry-consumer' && l.route === '/api/v1/sync-jobs' && l.taskRunId === taskRunId),
    ).toBe(true);
    expect(
      lines.some((l) => l.app === 'ferry-provider' && l.route === '/api/v1/datasets/:dataset/files/:fileId/records'),
    ).toBe(true);
  });

  it("puts the file's whole journey in one trace, parents before children", () => {
    const spans = exporter.getFinishedSpans();
    const dispatch = spans.find((s) => s.name === 'dispatch' && s.attributes['ferry.task_run_id'] === taskRunId)!;
    expect(dispatch).toBeDefined();
    const trace = spans.filter((s) => s.spanContext().traceId === dispatch.spanContext().traceId);
    const byId = new Map(trace.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan) => byId.get(parentId(s) ?? '');
    const app = (s: ReadableSpan) => s.instrumentationScope.name;
    const one = (pred: (s: ReadableSpan) => boolean, what: string) => {
      const found = trace.filter(pred);
      expect({ what, n: found.length > 0 }).toEqual({ what, n: true });
      return found;
    };

    const [triggerSpan] = one(
      (s) => app(s) === 'ferry-scheduler' && s.name === 'POST /api/v1/triggers',
      'scheduler trigger span',
    );
    // The trigger came from the provider's outbox, inside the publish request's span: the trace starts there.
    expect(app(parentOf(triggerSpan)!)).toBe('ferry-provider');
    const [groupJob] = one((s) => s.name === 'group.dispatch', 'queue job span');
    expect(parentOf(groupJob)).toBe(triggerSpan);
    expect(parentOf(dispatch)).toBe(groupJob);
    const [syncJob] = one(
      (s) => app(s) === 'ferry-consumer' && s.name === 'POST /api/v1/sync-jobs',
      'consumer sync-job span',
    );
    expect(parentOf(syncJob)).toBe(dispatch);
    const [file] = one((s) => app(s) === 'ferry-consumer' && s.name === 'file', 'consumer file span');
    expect(parentOf(file)).toBe(syncJob);
    const pages = one((s) => app(s) === 'ferry-provider' && s.name.endsWith('/records'), 'provider page spans');
    // The worker thread's calls to the provider continue the file's span.
    for (const p of pages) expect(parentOf(p)).toBe(file);
    const callbacks = one(
      (s) => app(s) === 'ferry-scheduler' && s.name === 'POST /api/v1/callbacks/tasks/:taskRunId',
      'scheduler callback spans',
    );
    for (const c of callbacks) expect(parentOf(c)).toBe(syncJob);
    for (const s of trace) {
      const p = parentOf(s);
      if (p) expect(p.startTime[0] * 1e9 + p.startTime[1]).toBeLessThanOrEqual(s.startTime[0] * 1e9 + s.startTime[1]);
    }
  });
});

function parentId(s: ReadableSpan): string | undefined {
  const x = s as unknown as { parentSpanContext?: { spanId: string }; parentSpanId?: string };
  return x.parentSpanContext?.spanId ?? x.parentSpanId;
}

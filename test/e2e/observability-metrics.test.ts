import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { FakeDownstream, TEST_DB_TYPES } from '#ferry/testing';
import { schedulerConfigFromEnv } from '../../apps/scheduler/src/index.js';
import { sample } from '../support/metrics.js';
import {
  definitionBody,
  eventually,
  startTestScheduler,
  type SchedulerUnderTest,
  triggerBody,
  triggerToken,
  waitForGroup,
} from '../support/scheduler.js';

const TOKEN = 'metrics-scrape-token';

async function scrape(url: string, token?: string): Promise<{ status: number; text: string; type?: string }> {
  const res = await request(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return {
    status: res.statusCode,
    text: await res.body.text(),
    type: res.headers['content-type'] as string | undefined,
  };
}

describe.each(TEST_DB_TYPES)('scheduler /metrics on %s', (dbType) => {
  let s: SchedulerUnderTest;
  let fake: FakeDownstream;

  beforeAll(async () => {
    fake = await new FakeDownstream().start();
    s = await startTestScheduler(dbType, { FERRY_METRICS_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  it('refuses a scrape without the token, or with another one', async () => {
    expect((await scrape(`${s.handle.url}/metrics`)).status).toBe(401);
    expect((await scrape(`${s.handle.url}/metrics`, 'wrong')).status).toBe(401);
    const ok = await scrape(`${s.handle.url}/metrics`, TOKEN);
    expect(ok.status).toBe(200);
    expect(ok.type).toContain('text/plain');
    expect(ok.text).toContain('nodejs_eventloop_lag_seconds');
    expect(ok.text).toContain('process_cpu_user_seconds_total');
  });

  it('counts exactly what a five-file group did', async () => {
    expect((await s.api('POST', '/definitions', definitionBody('metrics-flow', [fake.url]))).status).toBe(201);
    const trigger = triggerBody('metrics-flow', 5);
    const posted = await s.api('POST', '/triggers', trigger, triggerToken());
    expect(posted.status).toBe(202);
    await waitForGroup(s, posted.body.groupRuns[0].id, 'SUCCEEDED');
    expect((await s.api('POST', '/triggers', trigger, triggerToken())).status).toBe(200);
    expect(
      (await s.api('POST', '/triggers', { ...triggerBody('nothing-bound', 1), source: 'stray' }, triggerToken()))
        .status,
    ).toBe(202);
    expect((await s.api('POST', '/triggers', { source: 'billing' }, triggerToken())).status).toBe(422);

    // The group's status change is counted right after its commit, which the API may show first.
    const text = await eventually(
      async () => {
        const t = (await scrape(`${s.handle.url}/metrics`, TOKEN)).text;
        return sample(t, 'ferry_scheduler_group_runs_finished_total', { status: 'SUCCEEDED' }) === 1 ? t : undefined;
      },
      5000,
      'the group run to be counted',
    );
    const v = (name: string, labels: Record<string, string> = {}) => sample(text, name, labels);

    expect(v('ferry_scheduler_triggers_total', { source: 'billing', outcome: 'accepted' })).toBe(1);
    expect(v('ferry_scheduler_triggers_total', { source: 'billing', outcome: 'duplicate' })).toBe(1);
    expect(v('ferry_scheduler_triggers_total', { source: 'stray', outcome: 'unmatched' })).toBe(1);
    expect(v('ferry_scheduler_triggers_total', { source: 'billing', outcome: 'rejected' })).toBe(1);
    expect(v('ferry_scheduler_triggers_total')).toBe(4);

    expect(
      v('ferry_scheduler_dispatch_attempts_total', { target: new URL(fake.url).origin, outcome: 'accepted' }),
    ).toBe(5);
    expect(v('ferry_scheduler_dispatch_attempts_total')).toBe(5);
    expect(v('ferry_scheduler_dispatch_duration_seconds_count', { outcome: 'accepted' })).toBe(5);
    expect(v('ferry_scheduler_trigger_to_dispatch_seconds_count')).toBe(5);
    expect(fake.starts).toHaveLength(5);

    expect(v('ferry_scheduler_callbacks_total', { outcome: 'applied' })).toBe(fake.callbacksSent);
    expect(v('ferry_scheduler_callbacks_total', { outcome: 'applied' })).toBe(5);
    expect(v('ferry_scheduler_callback_duration_seconds_count')).toBe(5);
    expect(
      v('ferry_http_requests_total', { method: 'POST', route: '/api/v1/callbacks/tasks/:taskRunId', status: '200' }),
    ).toBe(5);
    expect(v('ferry_http_requests_total', { method: 'POST', route: '/api/v1/triggers' })).toBe(4);

    expect(v('ferry_scheduler_task_moves_total', { from: 'PENDING', to: 'DISPATCHED' })).toBe(5);
    expect(v('ferry_scheduler_task_moves_total', { to: 'SUCCEEDED' })).toBe(5);
    expect(v('ferry_scheduler_task_runs_finished_total', { status: 'SUCCEEDED' })).toBe(5);
    expect(v('ferry_scheduler_task_runs_finished_total')).toBe(5);
    expect(v('ferry_scheduler_task_run_duration_seconds_count', { status: 'SUCCEEDED' })).toBe(5);
    expect(v('ferry_scheduler_reconciliation_mismatches_total')).toBe(0);

    // State gauges, read from the database and Redis at scrape time: nothing is left live.
    expect(v('ferry_scheduler_task_runs_live')).toBe(0);
    expect(v('ferry_scheduler_group_runs_live')).toBe(0);
    expect(v('ferry_scheduler_overdue_runs')).toBe(0);
    expect(v('ferry_scheduler_oldest_silent_task_age_seconds')).toBe(0);
    expect(v('ferry_queue_jobs', { queue: 'ferry.tasks', state: 'active' })).toBe(0);
    expect(v('ferry_queue_jobs', { queue: 'ferry.triggers', state: 'waiting' })).toBe(0);
    // No ids in labels: every label value is a bounded word, an origin or a route template.
    expect(text).not.toContain(posted.body.groupRuns[0].id);
  });

  it('shows live tasks while they wait on a downstream that does not answer yet', async () => {
    fake.options.behaviour = 'manual';
    expect((await s.api('POST', '/definitions', definitionBody('metrics-live', [fake.url]))).status).toBe(201);
    const posted = await s.api('POST', '/triggers', triggerBody('metrics-live', 2), triggerToken());
    expect(posted.status).toBe(202);
    await eventually(async () => fake.starts.length >= 7, 10_000, 'two more starts');
    const text = await eventually(
      async () => {
        const t = (await scrape(`${s.handle.url}/metrics`, TOKEN)).text;
        return (sample(t, 'ferry_scheduler_task_runs_live', { status: 'ACCEPTED' }) ?? 0) +
          (sample(t, 'ferry_scheduler_task_runs_live', { status: 'DISPATCHED' }) ?? 0) ===
          2
          ? t
          : undefined;
      },
      5000,
      'two in-flight tasks',
    );
    expect(sample(text, 'ferry_scheduler_group_runs_live')).toBe(1);
    expect(sample(text, 'ferry_scheduler_oldest_silent_task_age_seconds')).toBeGreaterThan(0);
  });
});

describe('scheduler /metrics on a port of its own', () => {
  const started: SchedulerUnderTest[] = [];
  const onItsPort = async (env: Record<string, string>) => {
    const s = await startTestScheduler('sqlite', {
      FERRY_SCHEDULER_METRICS_PORT: '0',
      FERRY_METRICS_HOST: '127.0.0.1',
      ...env,
    });
    started.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of started) await s.close();
  });

  it('serves /metrics there only, behind the metrics token', async () => {
    const s = await onItsPort({ FERRY_METRICS_TOKEN: TOKEN });
    const url = s.handle.observability.obs.metricsUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const refused = await scrape(url);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    expect((await scrape(url, 'wrong')).status).toBe(401);
    expect((await scrape(url, TOKEN)).status).toBe(200);
    expect((await scrape(`${s.handle.url}/metrics`, TOKEN)).status).toBe(404);
  });

  it(
    'answers without a token only when configured open (FERRY_METRICS_PUBLIC), ' + 'still never on the API port',
    async () => {
      const s = await onItsPort({ FERRY_METRICS_PUBLIC: 'true' });
      expect((await scrape(s.handle.observability.obs.metricsUrl!)).status).toBe(200);
      expect((await scrape(`${s.handle.url}/metrics`)).status).toBe(404);
    },
  );

  it('does not start with a metrics port that neither a token guards nor the configuration opens', () => {
    expect(() => schedulerConfigFromEnv({ FERRY_SCHEDULER_METRICS_PORT: '0' })).toThrow(
      /FERRY_SCHEDULER_METRICS_PORT serves \/metrics, which needs FERRY_METRICS_TOKEN/,
    );
  });
});

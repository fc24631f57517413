import type { SyncJobRequest } from '#ferry/contracts';
import { currentTraceId, inSpan, originOf, SpanKind } from '#ferry/observability';
import type { DownstreamPort, StartResult, StatusResult } from '../dispatch/downstream.client.js';
import type { DispatchOutcome, SchedulerMetrics } from './scheduler-metrics.js';
import type { TaskTraces } from './task-traces.js';

const SERVICE = 'ferry-scheduler';

/** Every sync request: counted by target and outcome, timed, and sent inside a client span. */
export class ObservedDownstream implements DownstreamPort {
  constructor(
    private readonly inner: DownstreamPort,
    private readonly metrics: SchedulerMetrics,
    private readonly traces: TaskTraces,
  ) {}

  start(targetUrl: string, body: SyncJobRequest, idempotencyKey: string, token: string): Promise<StartResult> {
    const origin = originOf(targetUrl);
    const attributes = {
      'ferry.task_run_id': body.taskRunId,
      'ferry.dispatch_id': body.dispatchId,
      'server.address': origin,
    };
    return inSpan(SERVICE, 'dispatch', { kind: SpanKind.CLIENT, attributes }, async (span) => {
      this.traces.remember(body.taskRunId, currentTraceId());
      const started = process.hrtime.bigint();
      const res = await this.inner.start(targetUrl, body, idempotencyKey, token);
      const outcome = outcomeOf(res);
      this.metrics.dispatches.labels(this.metrics.targets.of(origin), outcome).inc();
      this.metrics.dispatchSeconds.labels(outcome).observe(Number(process.hrtime.bigint() - started) / 1e9);
      span?.setAttribute('ferry.outcome', outcome);
      return res;
    });
  }

  status(targetUrl: string, jobId: string, token: string): Promise<StatusResult> {
    return inSpan(SERVICE, 'poll', { kind: SpanKind.CLIENT, attributes: { 'ferry.job_id': jobId } }, () =>
      this.inner.status(targetUrl, jobId, token),
    );
  }

  cancel(targetUrl: string, jobId: string, token: string): Promise<void> {
    return this.inner.cancel(targetUrl, jobId, token);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function outcomeOf(res: StartResult): DispatchOutcome {
  if (res.ok) return 'accepted';
  const code = res.error.code;
  if (code === 'DOWNSTREAM_HTTP_429') return 'throttled';
  if (code === 'DOWNSTREAM_TIMEOUT') return 'timeout';
  if (code === 'DOWNSTREAM_UNREACHABLE' || code === 'EGRESS_REFUSED') return 'unreachable';
  return res.retryable ? 'server_error' : 'rejected';
}

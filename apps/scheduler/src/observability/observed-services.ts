import type { CallbackAnswer, SyncJobRequest } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { currentTraceId, inSpan, originOf, SpanKind } from '#ferry/observability';
import { CallbacksService } from '../callbacks/callbacks.service.js';
import type { DownstreamPort, StartResult, StatusResult } from '../dispatch/downstream.client.js';
import { type IntakeResult, TriggerIntake } from '../triggers/trigger-intake.service.js';
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
  if (code === 'DOWNSTREAM_UNREACHABLE') return 'unreachable';
  return res.retryable ? 'server_error' : 'rejected';
}

/** Callbacks: counted by outcome and timed (their commit is batched with their neighbours'). */
export class ObservedCallbacks extends CallbacksService {
  constructor(
    engine: ConstructorParameters<typeof CallbacksService>[0],
    private readonly metrics: SchedulerMetrics,
    private readonly traces: TaskTraces,
  ) {
    super(engine);
  }

  override async report(taskRunId: string, body: unknown): Promise<CallbackAnswer> {
    const started = process.hrtime.bigint();
    let outcome = 'error';
    try {
      const answer = await super.report(taskRunId, body);
      outcome = answer.applied ? 'applied' : 'ignored';
      this.traces.remember(taskRunId, currentTraceId());
      return answer;
    } catch (err) {
      outcome = err instanceof ApiError ? err.code.toLowerCase() : 'error';
      throw err;
    } finally {
      this.metrics.callbacks.labels(outcome).inc();
      this.metrics.callbackSeconds.labels(outcome).observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}

/** Trigger intake: each message counted once by source and outcome. */
export class ObservedTriggerIntake extends TriggerIntake {
  metrics?: SchedulerMetrics;

  override async accept(body: unknown, via: 'http' | 'queue'): Promise<IntakeResult> {
    const source =
      typeof (body as { source?: unknown })?.source === 'string' ? (body as { source: string }).source : undefined;
    try {
      const result = await super.accept(body, via);
      const outcome = result.duplicate ? 'duplicate' : result.answer.groupRuns.length ? 'accepted' : 'unmatched';
      this.metrics?.trigger(source, outcome);
      return result;
    } catch (err) {
      // A bad queue message is counted when it is kept as REJECTED (reject()), not here as well.
      if (via === 'http' && err instanceof ApiError && err.status === 422) this.metrics?.trigger(source, 'rejected');
      throw err;
    }
  }

  override async reject(body: unknown, reason: ApiError | Error): Promise<string> {
    const id = await super.reject(body, reason);
    const source = (body as { source?: unknown })?.source;
    this.metrics?.trigger(typeof source === 'string' ? source : undefined, 'rejected');
    return id;
  }
}

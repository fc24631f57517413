import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { CallbackAnswer } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { currentTraceId } from '#ferry/observability';
import type { GroupStatusChange, GroupStatusListener } from '../groups/group-listeners.js';
import type { Effects, TaskLifecycleListener } from '../tasks/task-listeners.js';
import { isTerminal } from '../tasks/task-status.js';
import type { CallbackObserver, ScheduleObserver, TriggerObserver, TriggerOutcome } from './observers.js';
import { SchedulerObservability } from './scheduler-observability.js';
import { CLOCK, type Clock } from '../core/tokens.js';

/**
 * The scheduler's metrics and state-move log lines, fed from the outside of the core as one listener
 * among the others: committed task moves, group status changes, settled triggers and callbacks. The
 * state machine and the services know nothing of it.
 */
@Injectable()
export class SchedulerTelemetry
  implements
    TaskLifecycleListener,
    GroupStatusListener,
    TriggerObserver,
    ScheduleObserver,
    CallbackObserver,
    OnApplicationShutdown
{
  constructor(
    @Inject(SchedulerObservability) private readonly o: SchedulerObservability,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {}

  /** Every committed batch: metrics, then one log line per state move. */
  afterCommit(e: Effects): void {
    if (!e.moved.length) return;
    const { obs, metrics, traces } = this.o;
    if (obs.config.metrics.enabled) metrics.onMoves(e.moved, this.clock());
    const log = obs.hotLogger;
    const lines = obs.config.log.taskMoves && log.isLevelEnabled('info');
    for (const { event, task } of e.moved) {
      if (lines) {
        log.info(
          {
            event: 'task.move',
            taskRunId: task.id,
            groupRunId: task.groupRunId,
            dispatchId: event.dispatchId ?? undefined,
            jobId: task.downstreamJobId ?? undefined,
            from: event.fromStatus,
            to: event.toStatus,
            actor: event.actor,
            reason: event.reason,
            attempt: task.attempt,
            // The batch mixes tasks of many traces: each line names its own, not the batch's.
            traceId: traces.of(task.id),
          },
          `task ${event.fromStatus ?? 'NONE'} → ${event.toStatus}`,
        );
      }
      if (isTerminal(event.toStatus)) traces.forget(task.id);
    }
  }

  /** Group runs reaching a terminal status. */
  onGroupStatus(change: GroupStatusChange): void {
    if (change.status !== 'RUNNING') this.o.metrics.groupsFinished.labels(change.status).inc();
  }

  triggerSettled(source: string | undefined, outcome: TriggerOutcome): void {
    this.o.metrics.trigger(source, outcome);
  }

  firesCommitted(scheduledAt: readonly number[], committedAt: number): void {
    for (const at of scheduledAt) this.o.metrics.fireLag.observe(Math.max(0, committedAt - at) / 1000);
  }

  callbackHandled(taskRunId: string, answer: CallbackAnswer | Error, startedNs: bigint): void {
    const outcome =
      answer instanceof Error
        ? answer instanceof ApiError
          ? answer.code.toLowerCase()
          : 'error'
        : answer.applied
          ? 'applied'
          : 'ignored';
    if (!(answer instanceof Error)) this.o.traces.remember(taskRunId, currentTraceId());
    this.o.metrics.callbacks.labels(outcome).inc();
    this.o.metrics.callbackSeconds.labels(outcome).observe(Number(process.hrtime.bigint() - startedNs) / 1e9);
  }

  /** The instance's signals close last among its parts (after the HTTP server stopped). */
  async onApplicationShutdown(): Promise<void> {
    await this.o.obs.close();
  }
}

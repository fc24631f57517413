import {
  BoundedLabel,
  Counter,
  DURATION_BUCKETS,
  Histogram,
  LATENCY_BUCKETS,
  type Registry,
} from '#ferry/observability';
import type { Effects } from '../tasks/task-engine.js';
import type { TriggerOutcome } from './observers.js';
import { isTerminal, TaskEventReason } from '../tasks/task-status.js';

export type DispatchOutcome = 'accepted' | 'rejected' | 'throttled' | 'server_error' | 'timeout' | 'unreachable';

/**
 * The scheduler's event metrics: counters and histograms updated as things happen (after commit),
 * so a scrape costs nothing. Labels are bounded: statuses, outcomes, sources and target origins
 * (the latter two capped), never a run or task id.
 */
export class SchedulerMetrics {
  readonly triggers: Counter<'source' | 'outcome'>;
  readonly taskMoves: Counter<'from' | 'to'>;
  readonly tasksFinished: Counter<'status'>;
  readonly groupsFinished: Counter<'status'>;
  readonly dispatches: Counter<'target' | 'outcome'>;
  readonly dispatchSeconds: Histogram<'outcome'>;
  readonly triggerToDispatch: Histogram;
  readonly callbacks: Counter<'outcome'>;
  readonly callbackSeconds: Histogram<'outcome'>;
  readonly reconMismatches: Counter;
  /** Rows the retention purge deleted, by kind (group runs, task runs, task events, triggers, alerts). */
  readonly purged: Counter<'kind'>;
  readonly taskDuration: Histogram<'status'>;
  readonly fireLag: Histogram;
  private readonly sources = new BoundedLabel(100);
  readonly targets = new BoundedLabel(100);

  constructor(registry: Registry) {
    const registers = [registry];
    this.triggers = new Counter({
      name: 'ferry_scheduler_triggers_total',
      help: 'Trigger messages received, by source and outcome',
      labelNames: ['source', 'outcome'],
      registers,
    });
    this.taskMoves = new Counter({
      name: 'ferry_scheduler_task_moves_total',
      help: 'Committed task run state moves, by from and to status',
      labelNames: ['from', 'to'],
      registers,
    });
    this.tasksFinished = new Counter({
      name: 'ferry_scheduler_task_runs_finished_total',
      help: 'Task runs that reached a terminal status',
      labelNames: ['status'],
      registers,
    });
    this.groupsFinished = new Counter({
      name: 'ferry_scheduler_group_runs_finished_total',
      help: 'Group runs that reached a terminal status (counted by the instance that saw the change)',
      labelNames: ['status'],
      registers,
    });
    this.dispatches = new Counter({
      name: 'ferry_scheduler_dispatch_attempts_total',
      help: 'Sync requests sent to downstreams, by target origin and outcome',
      labelNames: ['target', 'outcome'],
      registers,
    });
    this.dispatchSeconds = new Histogram({
      name: 'ferry_scheduler_dispatch_duration_seconds',
      help: 'Round trip of a sync request to the downstream',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.triggerToDispatch = new Histogram({
      name: 'ferry_scheduler_trigger_to_dispatch_seconds',
      help: 'From the trigger (task creation) to its first sync request being sent',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.callbacks = new Counter({
      name: 'ferry_scheduler_callbacks_total',
      help: 'Downstream callbacks handled, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.callbackSeconds = new Histogram({
      name: 'ferry_scheduler_callback_duration_seconds',
      help: 'Handling time of a downstream callback (validation, batched commit)',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.reconMismatches = new Counter({
      name: 'ferry_scheduler_reconciliation_mismatches_total',
      help: 'SUCCEEDED reports whose reconciliation counts did not add up',
      registers,
    });
    this.purged = new Counter({
      name: 'ferry_scheduler_retention_purged_total',
      help: 'Rows the retention purge deleted (FERRY_RETENTION_DAYS), by kind',
      labelNames: ['kind'],
      registers,
    });
    this.taskDuration = new Histogram({
      name: 'ferry_scheduler_task_run_duration_seconds',
      help: 'From task creation to its terminal status',
      labelNames: ['status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.fireLag = new Histogram({
      name: 'ferry_scheduler_schedule_fire_lag_seconds',
      help: "From a schedule's fire time to its trigger and run being stored (committed)",
      buckets: LATENCY_BUCKETS,
      registers,
    });
  }

  trigger(source: string | undefined, outcome: TriggerOutcome): void {
    this.triggers.labels(this.sources.of(source), outcome).inc();
  }

  /** From the engine's after-commit effects (`now`: when they are told): one pass over the batch's events, no I/O. */
  onMoves(moved: Effects['moved'], now: number): void {
    for (const { event, task } of moved) {
      this.taskMoves.labels(event.fromStatus ?? 'NONE', event.toStatus).inc();
      if (event.fromStatus !== event.toStatus && isTerminal(event.toStatus)) {
        this.tasksFinished.labels(event.toStatus).inc();
        this.taskDuration.labels(event.toStatus).observe(Math.max(0, event.at - task.createdAt) / 1000);
      }
      // Taken now, not at the claim's decision: the listeners hear of a committed claim just before its sync request
      // goes, and a small run's claims are decided before its trigger is even written (DirectStart.claim).
      if (event.toStatus === 'DISPATCHED' && event.fromStatus === 'PENDING' && task.attempt === 1) {
        this.triggerToDispatch.observe(Math.max(0, now - task.createdAt) / 1000);
      }
      if (event.reason === TaskEventReason.RECONCILIATION_MISMATCH) this.reconMismatches.inc();
    }
  }
}

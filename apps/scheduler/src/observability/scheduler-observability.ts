import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { capLogLevel, Observability, type ObservabilityOverrides, tracingActive } from '#ferry/observability';
import type { Db } from '#ferry/persistence';
import type { DownstreamPort } from '../dispatch/downstream.client.js';
import type { GroupStore } from '../groups/group-store.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import type { Effects } from '../tasks/task-engine.js';
import { isTerminal } from '../tasks/task-status.js';
import { ObservedDownstream } from './observed-services.js';
import { SchedulerMetrics } from './scheduler-metrics.js';
import { ScrapeGauges } from './scrape-gauges.js';
import { TaskTraces } from './task-traces.js';

/**
 * The scheduler's metrics, logs and traces, fed from the outside of the core: the engine's
 * after-commit effects, wrappers around the downstream port and the HTTP services, the group
 * store's status changes. The state machine knows nothing of it.
 */
export class SchedulerObservability {
  readonly metrics: SchedulerMetrics;
  readonly traces = new TaskTraces();
  private readonly extraQueues: Queue[] = [];

  private constructor(readonly obs: Observability) {
    this.metrics = new SchedulerMetrics(obs.registry);
  }

  static async create(
    config: SchedulerConfig,
    overrides: ObservabilityOverrides = {},
  ): Promise<SchedulerObservability> {
    const o = config.observability;
    const log = { ...o.log, level: capLogLevel(o.log.level, config.logLevels) };
    return new SchedulerObservability(await Observability.create({ ...o, log }, overrides));
  }

  /** Whether anything reads per-request metrics or spans: if not, the hot path skips recording them. */
  get instrumented(): boolean {
    return this.obs.config.metrics.enabled || tracingActive();
  }

  /** Called with every committed batch's effects: metrics, then one log line per state move. */
  onEffects(e: Effects): void {
    if (!e.moved.length) return;
    if (this.obs.config.metrics.enabled) this.metrics.onMoves(e.moved);
    const log = this.obs.hotLogger;
    const lines = this.obs.config.log.taskMoves && log.isLevelEnabled('info');
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
            traceId: this.traces.of(task.id),
          },
          `task ${event.fromStatus ?? 'NONE'} → ${event.toStatus}`,
        );
      }
      if (isTerminal(event.toStatus)) this.traces.forget(task.id);
    }
  }

  downstream(inner: DownstreamPort): DownstreamPort {
    return this.instrumented ? new ObservedDownstream(inner, this.metrics, this.traces) : inner;
  }

  /** Counts group runs reaching a terminal status, keeping whatever else listens (alerts). */
  watchGroups(groups: GroupStore): void {
    const previous = groups.onStatusChange;
    groups.onStatusChange = (change) => {
      if (change.status !== 'RUNNING') this.metrics.groupsFinished.labels(change.status).inc();
      previous?.(change);
    };
  }

  /** Scrape-time gauges over the database and the task and trigger queues. */
  watchState(db: Db, tasks: Queue, redis: Redis, config: SchedulerConfig): void {
    const triggers = new Queue(config.triggerQueue, { connection: redis, prefix: config.redis.prefix });
    this.extraQueues.push(triggers);
    new ScrapeGauges(this.obs.registry, db, [tasks, triggers], this.obs.logger);
  }

  async close(): Promise<void> {
    await Promise.all(this.extraQueues.map((q) => q.close().catch(() => undefined)));
    await this.obs.close();
  }
}

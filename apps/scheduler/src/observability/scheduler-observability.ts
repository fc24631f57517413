import { capLogLevel, Observability, type ObservabilityOverrides, tracingActive } from '#ferry/observability';
import type { DownstreamPort } from '../dispatch/downstream.client.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { ObservedDownstream } from './observed-downstream.js';
import { SchedulerMetrics } from './scheduler-metrics.js';
import { TaskTraces } from './task-traces.js';

/**
 * The scheduler's metrics registry, logger and traces (the HTTP layer's hooks and Nest's logger come
 * from here too); what listens to the scheduler's events is SchedulerTelemetry.
 */
export class SchedulerObservability {
  readonly metrics: SchedulerMetrics;
  readonly traces: TaskTraces;

  private constructor(
    readonly obs: Observability,
    tracedTasks: number,
  ) {
    this.metrics = new SchedulerMetrics(obs.registry);
    this.traces = new TaskTraces(tracedTasks);
  }

  static async create(
    config: SchedulerConfig,
    overrides: ObservabilityOverrides = {},
  ): Promise<SchedulerObservability> {
    const o = config.observability;
    const log = { ...o.log, level: capLogLevel(o.log.level, config.logLevels) };
    return new SchedulerObservability(await Observability.create({ ...o, log }, overrides), config.tuning.tracedTasks);
  }

  /** Whether anything reads per-request metrics or spans: if not, the hot path skips recording them. */
  get instrumented(): boolean {
    return this.obs.config.metrics.enabled || tracingActive();
  }

  /** The downstream port, counted, timed and traced when anything reads that. */
  downstream(inner: DownstreamPort): DownstreamPort {
    return this.instrumented ? new ObservedDownstream(inner, this.metrics, this.traces) : inner;
  }
}

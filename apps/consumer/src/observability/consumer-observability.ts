import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Reconciliation, ReportStatus } from '#ferry/contracts';
import {
  capLogLevel,
  Counter,
  currentTraceparent,
  DURATION_BUCKETS,
  Gauge,
  Histogram,
  inSpan,
  Observability,
  type ObservabilityOverrides,
} from '#ferry/observability';
import type { ConsumerConfig } from '../config.js';
import type { CallbacksListener } from '../sync-jobs/callbacks.js';
import type { FileRunObserver, PoolFigures } from '../worker-pool/worker-pool.js';
import type { FileOutcome, FileTask } from '../workers/file-worker.js';

const SERVICE = 'ferry-consumer';
const OUTCOMES = ['inserted', 'updated', 'deleted', 'unchanged', 'rejected'] as const;

/**
 * The consumer's signals: records by outcome, files and their durations, the worker pool. Heard by
 * the services it watches (a listener each), never by wrapping them. Starts first and closes last.
 */
export class ConsumerObservability
  implements FileRunObserver, CallbacksListener, OnApplicationBootstrap, OnApplicationShutdown
{
  readonly records: Counter<'outcome'>;
  readonly jobs: Counter<'status'>;
  readonly files: Counter<'status'>;
  readonly fileSeconds: Histogram<'status'>;
  /** The trace of each job's callbacks (outbox key → traceparent), sent later by the outbox pump. */
  private readonly traces = new Map<string, string>();

  private constructor(readonly obs: Observability) {
    const registers = [obs.registry];
    this.records = new Counter({
      name: 'ferry_consumer_records_total',
      help: 'Records of finished sync jobs, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.jobs = new Counter({
      name: 'ferry_consumer_sync_jobs_finished_total',
      help: 'Sync jobs finished, by reported status',
      labelNames: ['status'],
      registers,
    });
    this.files = new Counter({
      name: 'ferry_consumer_files_total',
      help: 'Files loaded by a worker thread, by outcome',
      labelNames: ['status'],
      registers,
    });
    this.fileSeconds = new Histogram({
      name: 'ferry_consumer_file_duration_seconds',
      help: 'Time a worker thread spent on one file',
      labelNames: ['status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
  }

  static async create(config: ConsumerConfig, overrides: ObservabilityOverrides = {}): Promise<ConsumerObservability> {
    const o = config.observability;
    return new ConsumerObservability(
      await Observability.create(
        { ...o, log: { ...o.log, level: capLogLevel(o.log.level, config.logger) } },
        overrides,
      ),
    );
  }

  watch(pool: PoolFigures): void {
    const registers = [this.obs.registry];
    new Gauge({
      name: 'ferry_consumer_worker_pool_utilization_ratio',
      help: "Share of the worker threads' capacity in use (piscina utilization)",
      registers,
      collect() {
        this.set(pool.utilization);
      },
    });
    new Gauge({
      name: 'ferry_consumer_worker_pool_queue_length',
      help: 'Files waiting for a free worker thread',
      registers,
      collect() {
        this.set(pool.queueSize);
      },
    });
    new Gauge({
      name: 'ferry_consumer_worker_threads',
      help: 'Worker threads alive',
      registers,
      collect() {
        this.set(pool.threads);
      },
    });
  }

  /** Times each file and runs it in a span whose context the worker thread continues. */
  around(task: FileTask, run: (task: FileTask) => Promise<FileOutcome>): Promise<FileOutcome> {
    return inSpan(
      SERVICE,
      'file',
      { attributes: { 'ferry.job_id': task.jobId, 'ferry.file_index': task.fileIndex } },
      async () => {
        const started = process.hrtime.bigint();
        let status = 'ERROR';
        try {
          const traceparent = currentTraceparent();
          const out = await run(traceparent ? { ...task, traceparent } : task);
          status = out.status;
          return out;
        } finally {
          this.files.labels(status).inc();
          this.fileSeconds.labels(status).observe(Number(process.hrtime.bigint() - started) / 1e9);
        }
      },
    );
  }

  /** Outbox delivery headers: the callback continues the trace of the job it reports on. */
  headers(row: { key: string }): Record<string, string> | undefined {
    const traceparent = this.traces.get(row.key);
    return traceparent ? { traceparent } : undefined;
  }

  reported(jobId: string, status: ReportStatus, reconciliation: Reconciliation | undefined): void {
    const traceparent = currentTraceparent();
    if (traceparent) {
      if (this.traces.size > 10_000) this.traces.delete(this.traces.keys().next().value!);
      this.traces.set(`job:${jobId}`, traceparent);
    }
    if (status !== 'SUCCEEDED' && status !== 'FAILED') return;
    this.jobs.labels(status).inc();
    if (reconciliation) for (const k of OUTCOMES) if (reconciliation[k]) this.records.labels(k).inc(reconciliation[k]);
  }

  /** The separate /metrics listener, when configured. */
  onApplicationBootstrap(): Promise<void> {
    return this.obs.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  close(): Promise<void> {
    return this.obs.close();
  }
}

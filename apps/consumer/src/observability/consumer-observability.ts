import type { EntityManager } from 'typeorm';
import type { Piscina } from 'piscina';
import type { Progress, Reconciliation, ReportedError, ReportStatus } from '#ferry/contracts';
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
import type { Db } from '#ferry/persistence';
import type { ConsumerConfig } from '../config.js';
import { Callbacks } from '../sync-jobs/callbacks.js';
import type { JobRow } from '../sync-jobs/job-store.js';
import type { FileOutcome, FileTask } from '../workers/file-worker.js';

const SERVICE = 'ferry-consumer';
const OUTCOMES = ['inserted', 'updated', 'deleted', 'unchanged', 'rejected'] as const;

/** The consumer's signals: records by outcome, files and their durations, the worker pool. */
export class ConsumerObservability {
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

  /**
   * Times each file and runs it in a span whose context the worker thread continues. Done by
   * wrapping the pool's `run`, so the job runner stays free of observability concerns.
   */
  watchPool(pool: Piscina): void {
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
        this.set(pool.threads.length);
      },
    });
    const run = pool.run.bind(pool);
    pool.run = ((task: FileTask, options?: Parameters<Piscina['run']>[1]) =>
      inSpan(
        SERVICE,
        'file',
        { attributes: { 'ferry.job_id': task.jobId, 'ferry.file_index': task.fileIndex } },
        async () => {
          const started = process.hrtime.bigint();
          let status = 'ERROR';
          try {
            const traceparent = currentTraceparent();
            const out = (await run(traceparent ? { ...task, traceparent } : task, options)) as FileOutcome;
            status = out.status;
            return out;
          } finally {
            this.files.labels(status).inc();
            this.fileSeconds.labels(status).observe(Number(process.hrtime.bigint() - started) / 1e9);
          }
        },
      )) as Piscina['run'];
  }

  /** Outbox delivery headers: the callback continues the trace of the job it reports on. */
  pumpHeaders(row: { key: string }): Record<string, string> | undefined {
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

  close(): Promise<void> {
    return this.obs.close();
  }
}

/** The consumer's callbacks, counted as they are written (final reports carry the record counts). */
export class ObservedCallbacks extends Callbacks {
  constructor(
    db: Db,
    config: ConsumerConfig,
    private readonly observer: ConsumerObservability,
  ) {
    super(db, config, { headers: (row) => observer.pumpHeaders(row) });
  }

  override async report(
    em: EntityManager,
    job: Pick<JobRow, 'jobId' | 'dispatchId' | 'callbackUrl'>,
    status: ReportStatus,
    extra: { progress?: Progress; reconciliation?: Reconciliation; error?: ReportedError } = {},
  ): Promise<void> {
    await super.report(em, job, status, extra);
    this.observer.reported(job.jobId, status, extra.reconciliation);
  }
}

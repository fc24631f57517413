import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Db } from '#ferry/persistence';
import { CONSUMER_CONFIG, type ConsumerConfig } from '../config.js';
import { DatasetCatalog } from '../datasets/catalog.js';
import { DatasetRefused } from '../datasets/dataset-refused.js';
import { WorkerPool } from '../worker-pool/worker-pool.js';
import type { FileOutcome, FileTask } from '../workers/file-worker.js';
import { Callbacks } from './callbacks.js';
import { JobAdmission, type Refusal } from './job-admission.js';
import { JobStore, reconcile } from './job-store.js';

/**
 * Runs jobs on this instance: claims a job (lease), learns its datasets, hands each file to a
 * worker thread, and when all files are done commits the job's end state with its final report.
 * Everything it knows is in the database, so a restarted consumer simply picks jobs up again.
 * Starts with the app (unfinished jobs resume from their checkpoints) and stops after its HTTP
 * server has closed, before the callbacks' pump and the database it uses. Each job first takes its
 * room on this instance (JobAdmission): a new one past the bounds is refused, a resumable one waits.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('JobRunner');
  private readonly active = new Map<string, Promise<void>>();
  private readonly lastProgress = new Map<string, number>();
  private readonly admission: JobAdmission;
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;

  constructor(
    @Inject(CONSUMER_CONFIG) private readonly config: ConsumerConfig,
    @Inject(Db) private readonly db: Db,
    @Inject(JobStore) private readonly jobs: JobStore,
    @Inject(Callbacks) private readonly callbacks: Callbacks,
    @Inject(DatasetCatalog) private readonly catalog: DatasetCatalog,
    @Inject(WorkerPool) private readonly pool: WorkerPool,
  ) {
    this.admission = new JobAdmission(config.limits);
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  start(): void {
    const every = (ms: number, fn: () => Promise<void>) => {
      const t = setInterval(() => fn().catch((e) => this.logger.warn((e as Error).message)), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.config.progressIntervalMs, () => this.reportProgress());
    every(Math.max(250, this.config.leaseMs / 3), () =>
      this.jobs.renew(this.config.instanceId, [...this.active.keys()], this.config.leaseMs),
    );
    every(this.config.leaseMs, () => this.resume());
    void this.resume().catch((e) => this.logger.warn(`resume failed: ${(e as Error).message}`));
  }

  /** Takes room for a new job of `files` files before it is stored, or answers the bound it would pass. */
  admit(jobId: string, files: number): Refusal | undefined {
    return this.admission.take(jobId, files);
  }

  /** Gives back the room of a job admitted but not stored. */
  release(jobId: string): void {
    if (!this.active.has(jobId)) this.admission.release(jobId);
  }

  /** Runs an admitted job here unless it is already running here or another instance holds it. */
  run(jobId: string): void {
    if (this.active.has(jobId)) return;
    if (this.stopping) return this.admission.release(jobId);
    const p = (async () => {
      if (!(await this.jobs.claim(jobId, this.config.instanceId, this.config.leaseMs))) return;
      await this.execute(jobId);
    })()
      .catch((e) => this.logger.error(`job ${jobId}: ${(e as Error).stack}`))
      .finally(() => {
        this.active.delete(jobId);
        this.admission.release(jobId);
      });
    this.active.set(jobId, p);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.timers.forEach(clearInterval);
    // Workers stop mid-file; their last committed checkpoint is where the next start resumes.
    await this.pool.destroy();
    await Promise.allSettled(this.active.values());
  }

  /** Jobs past this instance's room wait for a later round (or another instance). */
  private async resume(): Promise<void> {
    for (const { jobId, files } of await this.jobs.resumable(this.config.instanceId)) {
      if (this.active.has(jobId)) continue;
      if (this.admission.take(jobId, files)) break;
      this.run(jobId);
    }
  }

  private async execute(jobId: string): Promise<void> {
    const job = await this.db.run((em) => this.jobs.job(em, jobId));
    if (!job) return;
    const files = await this.db.run((em) => this.jobs.files(em, jobId));
    await this.db.tx(async (em) => {
      if (await this.jobs.move(em, jobId, ['ACCEPTED'], 'RUNNING')) {
        await this.callbacks.report(em, job, 'RUNNING', {
          progress: { processed: 0, total: reconcile(files).expected },
        });
      }
    });
    this.callbacks.pump.kick();
    try {
      for (const name of new Set(files.map((f) => f.dataset))) await this.catalog.refresh(name);
    } catch (err) {
      await this.db.tx((em) =>
        this.jobs.moveFiles(em, jobId, ['PENDING', 'RUNNING'], 'FAILED', {
          code: err instanceof DatasetRefused ? err.code : 'DATASET_UNAVAILABLE',
          message: (err as Error).message,
        }),
      );
    }
    await Promise.all(files.map((f) => this.runFile(jobId, f.index).finally(() => this.admission.fileDone(jobId))));
    if (!this.stopping) await this.finish(jobId);
  }

  private async runFile(jobId: string, fileIndex: number): Promise<void> {
    await this.db.tx((em) => this.jobs.moveFiles(em, jobId, ['PENDING'], 'RUNNING', undefined, fileIndex));
    const task: FileTask = {
      db: this.config.db,
      jobId,
      fileIndex,
      providerUrl: this.config.providerUrl,
      providerToken: this.catalog.providerToken(),
      egress: this.config.egress,
      sinks: this.config.sinks,
    };
    let outcome: FileOutcome;
    try {
      outcome = await this.pool.run(task);
      if (outcome.status === 'STALE_DATASET') outcome = await this.afterSchemaChange(task, outcome);
    } catch (err) {
      if (this.stopping) return;
      outcome = { status: 'FAILED', errorCode: 'LOAD_ERROR', errorMessage: (err as Error).message };
    }
    if (outcome.status === 'FAILED' && outcome.errorCode) {
      const error = { code: outcome.errorCode, message: outcome.errorMessage ?? outcome.errorCode };
      await this.db.tx((em) => this.jobs.moveFiles(em, jobId, ['RUNNING'], 'FAILED', error, fileIndex));
    }
  }

  /** The file's manifest is ahead of the stored dataset: read the definition again and run the file once more. */
  private async afterSchemaChange(task: FileTask, stale: FileOutcome): Promise<FileOutcome> {
    try {
      await this.catalog.refresh(stale.dataset!, stale.schemaVersion!);
    } catch (err) {
      const code = err instanceof DatasetRefused ? err.code : 'DATASET_UNAVAILABLE';
      return { status: 'FAILED', errorCode: code, errorMessage: (err as Error).message };
    }
    const again = await this.pool.run(task);
    if (again.status !== 'STALE_DATASET') return again;
    return {
      status: 'FAILED',
      errorCode: 'DATASET_UNAVAILABLE',
      errorMessage:
        `Dataset ${stale.dataset}: the stored definition is older than ` + `schemaVersion ${again.schemaVersion}`,
    };
  }

  /** The job's end state and final report, in one transaction; a cancelled job stays cancelled. */
  private async finish(jobId: string): Promise<void> {
    await this.db.tx(async (em) => {
      const job = (await this.jobs.job(em, jobId))!;
      const files = await this.jobs.files(em, jobId);
      if (files.some((f) => f.status === 'PENDING' || f.status === 'RUNNING')) return;
      const failed = files.find((f) => f.status === 'FAILED');
      const error = failed
        ? { code: failed.errorCode ?? 'FAILED', message: `${failed.name}: ${failed.errorMessage ?? 'failed'}` }
        : undefined;
      if (!(await this.jobs.move(em, jobId, ['RUNNING'], failed ? 'FAILED' : 'SUCCEEDED', error))) return;
      const reconciliation = reconcile(files);
      await this.callbacks.report(em, job, failed ? 'FAILED' : 'SUCCEEDED', {
        progress: { processed: reconciliation.received, total: reconciliation.expected },
        reconciliation,
        ...(error ? { error } : {}),
      });
    });
    this.lastProgress.delete(jobId);
    this.callbacks.pump.kick();
  }

  /** Throttled RUNNING reports: at most one per job per interval, and only when something moved. */
  private async reportProgress(): Promise<void> {
    for (const jobId of this.active.keys()) {
      await this.db.tx(async (em) => {
        // A conditional no-op move, not a read: it locks the job row, so a finish() committing at
        // the same moment can't have its final report overtaken by this RUNNING one.
        if (!(await this.jobs.move(em, jobId, ['RUNNING'], 'RUNNING'))) return;
        const job = (await this.jobs.job(em, jobId))!;
        const r = reconcile(await this.jobs.files(em, jobId));
        if (this.lastProgress.get(jobId) === r.received) return;
        this.lastProgress.set(jobId, r.received);
        await this.callbacks.report(em, job, 'RUNNING', { progress: { processed: r.received, total: r.expected } });
      });
    }
    this.callbacks.pump.kick();
  }
}

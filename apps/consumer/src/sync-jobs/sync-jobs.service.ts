import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { type SyncJobAccepted, type SyncJobRequest, syncJobRequestSchema, type SyncJobView } from '#ferry/contracts';
import { canonicalJson } from '#ferry/datasets';
import { ApiError, type ErrorDetail, ErrorCode } from '#ferry/errors';
import { compileSchema } from '#ferry/http';
import { Db, isUniqueViolation } from '#ferry/persistence';
import { CONSUMER_CONFIG, type ConsumerConfig } from '../config.js';
import { callbackAllowed } from './callback-origins.js';
import { Callbacks } from './callbacks.js';
import type { Refusal } from './job-admission.js';
import { JobRunner } from './job-runner.js';
import { type JobFile, JobStore, reconcile } from './job-store.js';

const parseRequest = compileSchema<SyncJobRequest>(syncJobRequestSchema);

/**
 * How long a caller refused for lack of room should wait: about the time a small file takes, so a
 * scheduler's retry finds room once a job ends, without polling a busy consumer.
 */
const BUSY_RETRY_AFTER_SECONDS = 5;

@Injectable()
export class SyncJobsService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(JobStore) private readonly jobs: JobStore,
    @Inject(Callbacks) private readonly callbacks: Callbacks,
    @Inject(JobRunner) private readonly runner: JobRunner,
    @Inject(CONSUMER_CONFIG)
    private readonly config: Pick<ConsumerConfig, 'pageSize' | 'limits' | 'schedulerOrigins'>,
  ) {}

  /**
   * Same key: the same job, whatever its state; same key with another body: 409. A new job past this
   * instance's room (JobAdmission) is answered 429 with Retry-After, and nothing of it is stored.
   */
  async accept(key: string | undefined, body: unknown): Promise<SyncJobAccepted> {
    if (!key || key.length > 200)
      throw ApiError.validation([{ path: 'Idempotency-Key', problem: 'header is required (at most 200 characters)' }]);
    const req = parseRequest(body);
    const files = resolveFiles(req, this.config.schedulerOrigins);
    if (files.length > this.config.limits.maxQueuedFiles)
      throw ApiError.validation([
        { path: 'files', problem: `must be at most ${this.config.limits.maxQueuedFiles} (what this consumer holds)` },
      ]);
    const requestHash = createHash('sha256').update(canonicalJson(req)).digest('hex');
    const existing = await this.db.run((em) => this.jobs.byKey(em, key));
    if (existing) return this.replay(existing, requestHash);
    const jobId = randomUUID();
    const refusal = this.runner.admit(jobId, files.length);
    if (refusal) throw busy(refusal);
    const job = {
      jobId,
      idemKey: key,
      requestHash,
      taskRunId: req.taskRunId,
      dispatchId: req.dispatchId,
      callbackUrl: req.callbackUrl,
      status: 'ACCEPTED' as const,
      errorCode: null,
      errorMessage: null,
    };
    try {
      await this.db.tx(async (em) => {
        await this.jobs.insert(em, job, files, this.config.pageSize);
        await this.callbacks.report(em, job, 'ACCEPTED', {
          progress: { processed: 0, total: files.reduce((a, f) => a + (f.recordCount ?? 0), 0) },
        });
      });
    } catch (err) {
      this.runner.release(jobId);
      // Two requests with one key at once: the loser answers what the winner stored.
      if (!isUniqueViolation(err)) throw err;
      return this.replay((await this.db.run((em) => this.jobs.byKey(em, key)))!, requestHash);
    }
    this.callbacks.pump.kick();
    this.runner.run(job.jobId);
    return { jobId: job.jobId, status: 'ACCEPTED' };
  }

  async view(jobId: string): Promise<SyncJobView> {
    const { job, files } = await this.db.run(async (em) => ({
      job: await this.jobs.job(em, jobId),
      files: await this.jobs.files(em, jobId),
    }));
    if (!job) throw ApiError.notFound('Sync job', jobId);
    const reconciliation = reconcile(files);
    return {
      jobId,
      status: job.status,
      progress: { processed: reconciliation.received, total: reconciliation.expected },
      reconciliation,
      ...(job.errorCode ? { error: { code: job.errorCode, message: job.errorMessage ?? job.errorCode } } : {}),
      files: files.map(fileView),
    };
  }

  async cancel(jobId: string): Promise<SyncJobView> {
    await this.db.tx(async (em) => {
      const job = await this.jobs.job(em, jobId);
      if (!job) throw ApiError.notFound('Sync job', jobId);
      const error = { code: 'CANCELLED', message: 'The sync job was cancelled' };
      if (!(await this.jobs.move(em, jobId, ['ACCEPTED', 'RUNNING'], 'CANCELLED', error))) {
        throw ApiError.conflict(`Sync job ${jobId} is ${job.status} and can no longer be cancelled`);
      }
      await this.jobs.moveFiles(em, jobId, ['PENDING', 'RUNNING'], 'CANCELLED');
      await this.callbacks.report(em, job, 'FAILED', {
        reconciliation: reconcile(await this.jobs.files(em, jobId)),
        error,
      });
    });
    this.callbacks.pump.kick();
    return this.view(jobId);
  }

  private replay(
    existing: { jobId: string; requestHash: string; status: SyncJobAccepted['status'] },
    requestHash: string,
  ): SyncJobAccepted {
    if (existing.requestHash !== requestHash)
      throw ApiError.conflict('This Idempotency-Key was used with a different request');
    return { jobId: existing.jobId, status: existing.status };
  }
}

/** The contract's "retry later" (429 with Retry-After), which a scheduler retries without blaming the target. */
function busy(refusal: Refusal): ApiError {
  return new ApiError(
    ErrorCode.RATE_LIMITED,
    `${refusal.message}; retry after ${BUSY_RETRY_AFTER_SECONDS} s`,
    [{ path: refusal.limit === 'jobs' ? '' : 'files', problem: refusal.message }],
    { 'Retry-After': String(BUSY_RETRY_AFTER_SECONDS) },
  );
}

/** What the contract's schema leaves open but this consumer's tables hold (a 422 here, not a failed insert). */
const LIMITS = { dataset: 100, fileId: 200, callbackUrl: 2000, recordCount: 2_147_483_647 };

function resolveFiles(req: SyncJobRequest, schedulers: ConsumerConfig['schedulerOrigins']) {
  const problems: ErrorDetail[] = [];
  if (req.files.length === 0) problems.push({ path: 'files', problem: 'must list at least one file' });
  if (req.callbackUrl.length > LIMITS.callbackUrl)
    problems.push({ path: 'callbackUrl', problem: `must be at most ${LIMITS.callbackUrl} characters` });
  // The reports go there with this consumer's own token: only to the schedulers it is configured to report to.
  else if (!callbackAllowed(schedulers, req.callbackUrl))
    problems.push({ path: 'callbackUrl', problem: 'is not under a scheduler origin this consumer reports to' });
  const files = req.files.map((f, i) => {
    const dataset = f.dataset ?? req.dataset;
    if (!dataset)
      problems.push({ path: `files[${i}].dataset`, problem: 'is required when the request has no dataset' });
    else if (dataset.length > LIMITS.dataset)
      problems.push({ path: `files[${i}].dataset`, problem: `must be at most ${LIMITS.dataset} characters` });
    if (!f.fileId) problems.push({ path: `files[${i}].fileId`, problem: 'is required' });
    else if (f.fileId.length > LIMITS.fileId)
      problems.push({ path: `files[${i}].fileId`, problem: `must be at most ${LIMITS.fileId} characters` });
    if ((f.recordCount ?? 0) > LIMITS.recordCount)
      problems.push({ path: `files[${i}].recordCount`, problem: `must be at most ${LIMITS.recordCount}` });
    return { ...f, dataset: dataset ?? '', fileId: f.fileId ?? '' };
  });
  if (problems.length) throw ApiError.validation(problems);
  return files;
}

function fileView(f: JobFile) {
  return {
    name: f.name,
    dataset: f.dataset,
    fileId: f.fileId,
    status: f.status,
    ...(f.expectedCount !== null ? { recordCount: f.expectedCount } : {}),
    ...(f.expectedChecksum ? { checksum: f.expectedChecksum } : {}),
    reconciliation: reconcile([f]),
    ...(f.errorCode ? { error: { code: f.errorCode, message: f.errorMessage ?? f.errorCode } } : {}),
  };
}

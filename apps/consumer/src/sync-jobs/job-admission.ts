/** Which bound a job would pass, and how it is said to the caller. */
export interface Refusal {
  limit: 'jobs' | 'files';
  message: string;
}

/**
 * The room one instance gives to jobs: at most `maxJobs` unfinished jobs and `maxQueuedFiles` of their
 * files, on a worker thread or waiting for one. A job takes its room before anything of it is stored
 * (or before it is resumed) and gives it back file by file as they end, the rest when the job ends.
 * Synchronous, so two requests arriving together cannot both take the last place.
 */
export class JobAdmission {
  /** Files each held job has not yet finished. */
  private readonly held = new Map<string, number>();
  private files = 0;

  constructor(private readonly limits: { maxJobs: number; maxQueuedFiles: number }) {}

  get jobs(): number {
    return this.held.size;
  }

  get queuedFiles(): number {
    return this.files;
  }

  /**
   * Takes room for the job's `files`, or answers the bound it would pass (and takes nothing). A held
   * job: no cost. A job of more files than the bound (one resumed after the bound was lowered) takes
   * all of it, so it runs once nothing else holds files.
   */
  take(jobId: string, jobFiles: number): Refusal | undefined {
    if (this.held.has(jobId)) return undefined;
    const files = Math.min(jobFiles, this.limits.maxQueuedFiles);
    if (this.held.size >= this.limits.maxJobs)
      return { limit: 'jobs', message: `This consumer is running its limit of ${this.limits.maxJobs} sync jobs` };
    if (this.files + files > this.limits.maxQueuedFiles)
      return {
        limit: 'files',
        message:
          `This consumer holds ${this.files} files of its limit of ${this.limits.maxQueuedFiles}; ` +
          `${files} more do not fit`,
      };
    this.held.set(jobId, files);
    this.files += files;
    return undefined;
  }

  /** One of the job's files ended. */
  fileDone(jobId: string): void {
    const left = this.held.get(jobId);
    if (!left) return;
    this.held.set(jobId, left - 1);
    this.files--;
  }

  /** The job ended, or was never stored: all its room back. */
  release(jobId: string): void {
    this.files -= this.held.get(jobId) ?? 0;
    this.held.delete(jobId);
  }
}

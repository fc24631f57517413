import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Piscina } from 'piscina';
import { CONSUMER_CONFIG, type ConsumerConfig } from '../config.js';
import type { FileOutcome, FileTask } from '../workers/file-worker.js';

/** The pool's live figures, for whoever reports on it. */
export interface PoolFigures {
  /** Share of the threads' capacity in use. */
  readonly utilization: number;
  /** Files waiting for a free thread. */
  readonly queueSize: number;
  readonly threads: number;
}

/** Watches the pool and each file run on it (metrics, the span the worker thread continues). */
export interface FileRunObserver {
  watch(pool: PoolFigures): void;
  around(task: FileTask, run: (task: FileTask) => Promise<FileOutcome>): Promise<FileOutcome>;
}

export const FILE_RUN_OBSERVER = Symbol('FILE_RUN_OBSERVER');

/** The file error of a worker thread that died of its memory limit. */
export const WORKER_OUT_OF_MEMORY = 'WORKER_OUT_OF_MEMORY';

/**
 * The worker threads (workers/file-worker.ts), one file each at a time, each within the configured
 * V8 limits: a thread past them is ended by Node, its file fails (WORKER_OUT_OF_MEMORY), piscina
 * starts another thread and the consumer goes on.
 */
@Injectable()
export class WorkerPool implements PoolFigures {
  private readonly logger = new Logger('WorkerPool');
  private readonly pool: Piscina;

  constructor(
    @Inject(CONSUMER_CONFIG) private readonly config: Pick<ConsumerConfig, 'workerFile' | 'workers' | 'workerLimits'>,
    @Optional() @Inject(FILE_RUN_OBSERVER) private readonly observer?: FileRunObserver,
  ) {
    this.pool = new Piscina({
      filename: config.workerFile,
      maxThreads: config.workers,
      minThreads: 1,
      idleTimeout: 60_000,
      resourceLimits: { ...config.workerLimits },
    });
    // A thread that dies between files has no task to fail: piscina emits it, and unheard it would end the process.
    this.pool.on('error', (err: Error) => this.logger.error(`A worker thread died: ${err.message}`));
    observer?.watch(this);
  }

  /** What piscina was given (for the pool's unit spec). */
  get resourceLimits() {
    return this.pool.options.resourceLimits;
  }

  get utilization(): number {
    return this.pool.utilization;
  }

  get queueSize(): number {
    return this.pool.queueSize;
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  run(task: FileTask): Promise<FileOutcome> {
    const run = (t: FileTask) => (this.pool.run(t) as Promise<FileOutcome>).catch((err) => this.outOfMemory(err));
    return this.observer ? this.observer.around(task, run) : run(task);
  }

  private outOfMemory(err: unknown): FileOutcome {
    if ((err as { code?: string })?.code !== 'ERR_WORKER_OUT_OF_MEMORY') throw err;
    const { maxOldGenerationSizeMb, maxYoungGenerationSizeMb } = this.config.workerLimits;
    return {
      status: 'FAILED',
      errorCode: WORKER_OUT_OF_MEMORY,
      errorMessage:
        `The worker thread loading this file ran out of memory (limits ${maxOldGenerationSizeMb} MB old, ` +
        `${maxYoungGenerationSizeMb} MB young generation: FERRY_CONSUMER_WORKER_MAX_OLD_MB, _MAX_YOUNG_MB); ` +
        'pages committed before it are kept',
    };
  }

  /** Stops the threads mid-file: their last committed checkpoint is where the next start resumes. */
  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}

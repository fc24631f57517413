import { Inject, Injectable, Optional } from '@nestjs/common';
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

/** The worker threads (workers/file-worker.ts), one file each at a time. */
@Injectable()
export class WorkerPool implements PoolFigures {
  private readonly pool: Piscina;

  constructor(
    @Inject(CONSUMER_CONFIG) config: ConsumerConfig,
    @Optional() @Inject(FILE_RUN_OBSERVER) private readonly observer?: FileRunObserver,
  ) {
    this.pool = new Piscina({
      filename: config.workerFile,
      maxThreads: config.workers,
      minThreads: 1,
      idleTimeout: 60_000,
    });
    observer?.watch(this);
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
    const run = (t: FileTask) => this.pool.run(t) as Promise<FileOutcome>;
    return this.observer ? this.observer.around(task, run) : run(task);
  }

  /** Stops the threads mid-file: their last committed checkpoint is where the next start resumes. */
  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}

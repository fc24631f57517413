import { Logger } from '@nestjs/common';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { inSpan } from '#ferry/observability';
import { JobName, QueueName, type TaskRoundPayload } from '#ferry/queue';
import type { TaskRounds } from './task-rounds.js';

/** Runs task rounds from the queue; a live task's job is moved back to "delayed" until its next round. */
export class TaskRoundWorker {
  private readonly worker: Worker<TaskRoundPayload>;
  private readonly logger = new Logger('TaskRounds');

  constructor(rounds: TaskRounds, connection: Redis, prefix: string, concurrency: number) {
    this.worker = new Worker<TaskRoundPayload>(
      QueueName.tasks,
      async (job: Job<TaskRoundPayload>, token?: string) => {
        const round = async () => {
          const result =
            job.name === JobName.groupDispatch
              ? await rounds.dispatchGroup(job.data.groupRunId!)
              : await rounds.run(job.data.taskRunId);
          if (result.done) return;
          await job.moveToDelayed(Date.now() + result.delayMs, token);
          throw new DelayedError();
        };
        // A job queued inside a trace continues it; others (reconciler repairs) start none.
        if (!job.data.traceparent) return round();
        const attributes = {
          'ferry.group_run_id': job.data.groupRunId,
          'ferry.task_run_id': job.data.taskRunId || undefined,
          'messaging.message.id': job.id,
        };
        return inSpan('ferry-scheduler', job.name, { parent: job.data.traceparent, attributes }, round);
      },
      { connection, prefix, concurrency, autorun: true, maxStalledCount: 1000 },
    );
    this.worker.on('failed', (job, err) => {
      if (!(err instanceof DelayedError))
        this.logger.warn(`round of task ${job?.data.taskRunId} failed (will retry): ${err.message}`);
    });
    this.worker.on('error', (err) => this.logger.warn(`worker error: ${err.message}`));
  }

  /** Stops taking rounds and waits for the running ones: a deploy strands nothing. */
  close(): Promise<void> {
    return this.worker.close();
  }
}

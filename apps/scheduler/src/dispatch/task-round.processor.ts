import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type Type } from '@nestjs/common';
import { type ConnectionOptions, DelayedError } from 'bullmq';
import { inSpan } from '#ferry/observability';
import { type JobOf, JobName, QueueName } from '#ferry/queue';
import { CallbackBase } from '../core/callback-base.js';
import { runWorker } from '../queue/run-worker.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { type RoundResult, TaskRounds } from './task-rounds.js';

/** Runs task rounds from the queue; a live task's job is moved back to "delayed" until its next round. */
export abstract class TaskRoundProcessor extends WorkerHost implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('TaskRounds');

  constructor(
    @Inject(TaskRounds) private readonly rounds: TaskRounds,
    @Inject(CallbackBase) private readonly base: CallbackBase,
  ) {
    super();
  }

  async process(job: JobOf<'tasks'>, token?: string): Promise<void> {
    const round = async () => {
      const result: RoundResult =
        job.name === JobName.groupDispatch
          ? await this.rounds.dispatchGroup(job.data.groupRunId)
          : await this.rounds.run(job.data.taskRunId);
      if (result.done) return;
      await job.moveToDelayed(Date.now() + result.delayMs, token);
      throw new DelayedError();
    };
    // A job queued inside a trace continues it; others (reconciler repairs) start none.
    if (!job.data.traceparent) return round();
    const attributes =
      job.name === JobName.groupDispatch
        ? { 'ferry.group_run_id': job.data.groupRunId, 'messaging.message.id': job.id }
        : { 'ferry.task_run_id': job.data.taskRunId, 'messaging.message.id': job.id };
    return inSpan('ferry-scheduler', job.name, { parent: job.data.traceparent, attributes }, round);
  }

  /** Rounds send callback URLs: they start once the server listens. */
  onApplicationBootstrap(): void {
    void this.base.known.then(() => runWorker(this.worker, this.logger));
  }

  /** Stops taking rounds and waits for the running ones: a deploy strands nothing. */
  async onModuleDestroy(): Promise<void> {
    await this.worker.close();
  }

  @OnWorkerEvent('failed')
  onFailed(job: JobOf<'tasks'> | undefined, err: Error): void {
    if (err instanceof DelayedError) return;
    const id = job?.name === JobName.groupDispatch ? `group run ${job.data.groupRunId}` : `task ${job?.data.taskRunId}`;
    this.logger.warn(`round of ${id} failed (will retry): ${err.message}`);
  }

  @OnWorkerEvent('error')
  onError(err: Error): void {
    this.logger.warn(`worker error: ${err.message}`);
  }
}

/**
 * The processor as configured: @nestjs/bullmq reads worker options from the class's decorator, and
 * these come from the configuration (concurrency; the workers' connection, which never gives up on
 * Redis), so the decorated class is made here, once per module setup.
 */
export function taskRoundProcessor(config: SchedulerConfig, connection: ConnectionOptions): Type<TaskRoundProcessor> {
  @Processor(QueueName.tasks, {
    concurrency: config.concurrency,
    autorun: false,
    maxStalledCount: 1000,
    connection,
  })
  class ConfiguredTaskRoundProcessor extends TaskRoundProcessor {}
  return ConfiguredTaskRoundProcessor;
}

import { Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { currentTraceparent } from '#ferry/observability';
import { groupJobId, JobName, QueueName, type TaskRoundPayload, taskJobId } from '#ferry/queue';

/** Unexpected processor errors (database down, a bug) retry with backoff before the job fails. */
const JOB_OPTS = {
  removeOnComplete: true,
  removeOnFail: 1000,
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000 },
} as const;

/**
 * The BullMQ side of task runs: one job per live task, rescheduled until the task is terminal (an
 * ASYNC group's job stands in for its tasks' until their first poll is due, see TaskRounds.dispatchGroup).
 * Redis is only the transport: every call here may fail, and the reconciler repairs what it missed.
 */
export class TaskQueue {
  readonly queue: Queue<TaskRoundPayload>;
  private readonly logger = new Logger('TaskQueue');
  private readonly queuedHere = new Set<string>();

  constructor(connection: Redis, prefix: string) {
    this.queue = new Queue<TaskRoundPayload>(QueueName.tasks, { connection, prefix });
  }

  /** Adds a round for each task; a task that already has its job keeps it (same job id). */
  async enqueue(taskIds: string[], delayMs = 0, traceparent?: string): Promise<void> {
    this.remember(taskIds);
    for (let i = 0; i < taskIds.length; i += 1000) {
      await this.queue.addBulk(
        taskIds.slice(i, i + 1000).map((taskRunId) => ({
          name: JobName.taskRound,
          data: traceparent ? { taskRunId, traceparent } : { taskRunId },
          opts: { jobId: taskJobId(taskRunId), delay: delayMs, ...JOB_OPTS },
        })),
      );
    }
  }

  /** One job that dispatches every ready task of a group. */
  async enqueueGroups(groupIds: string[]): Promise<void> {
    await this.queue.addBulk(
      groupIds.map((groupRunId) => ({
        name: JobName.groupDispatch,
        data: withTrace({ taskRunId: '', groupRunId }),
        opts: { jobId: groupJobId(groupRunId), ...JOB_OPTS },
      })),
    );
  }

  /** Per-task rounds, each with its own delay (the poll fallback after a group dispatch). */
  async enqueueEach(items: Array<{ id: string; delayMs: number }>): Promise<void> {
    this.remember(items.map((i) => i.id));
    for (let i = 0; i < items.length; i += 1000) {
      await this.queue.addBulk(
        items.slice(i, i + 1000).map(({ id, delayMs }) => ({
          name: JobName.taskRound,
          data: withTrace({ taskRunId: id }),
          opts: { jobId: taskJobId(id), delay: delayMs, ...JOB_OPTS },
        })),
      );
    }
  }

  /** Queues what a commit made ready, logging instead of failing: the reconciler repairs a miss. */
  startLater(order: { groups: string[]; tasks: string[] }): void {
    if (order.groups.length)
      this.enqueueGroups(order.groups).catch((err) =>
        this.logger.warn(`enqueue failed, the reconciler will retry: ${err}`),
      );
    // Here (the trigger's request), unlike enqueueLater (a batch of many traces), the trace is known.
    if (order.tasks.length)
      this.enqueue(order.tasks, 0, currentTraceparent()).catch((err) =>
        this.logger.warn(`enqueue failed, the reconciler will retry: ${err}`),
      );
  }

  /** Enqueue, logging instead of failing: the caller's database work is already committed. */
  enqueueLater(taskIds: string[]): void {
    if (taskIds.length)
      this.enqueue(taskIds).catch((err) => this.logger.warn(`enqueue failed, the reconciler will retry: ${err}`));
  }

  /**
   * Drops the queued rounds of finished tasks, for the rounds this instance queued: most tasks of a
   * group dispatch finish before they ever get one, and a round queued elsewhere (another instance,
   * the reconciler) simply finds its task finished and ends.
   */
  removeLater(taskIds: string[]): void {
    for (const id of taskIds) {
      if (!this.queuedHere.delete(id)) continue;
      this.queue.remove(taskJobId(id)).catch(() => undefined);
    }
  }

  private remember(ids: string[]): void {
    for (const id of ids) this.queuedHere.add(id);
    // Bounded: forgetting an id only means its round ends by itself later.
    while (this.queuedHere.size > 200_000) this.queuedHere.delete(this.queuedHere.values().next().value!);
  }

  /**
   * Brings a delayed round forward (or back) to `at`, e.g. when a callback starts a retry backoff; a
   * task without a round yet (its group's job has not armed it) gets one, due then.
   */
  rescheduleLater(items: Array<{ id: string; at: number }>): void {
    for (const { id, at } of items) {
      void (async () => {
        const job = await this.queue.getJob(taskJobId(id));
        if (!job) await this.enqueueEach([{ id, delayMs: Math.max(0, at - Date.now()) }]);
        else if (await job.isDelayed()) await job.changeDelay(Math.max(0, at - Date.now()));
      })().catch(() => undefined);
    }
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

function withTrace(data: TaskRoundPayload): TaskRoundPayload {
  const traceparent = currentTraceparent();
  return traceparent ? { ...data, traceparent } : data;
}

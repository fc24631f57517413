import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { currentTraceparent } from '#ferry/observability';
import { type AnyPayloadOf, groupJobId, JobName, QueueName, taskJobId } from '#ferry/queue';
import { SCHEDULER_CONFIG } from '../core/tokens.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import type { Effects, TaskLifecycleListener } from '../tasks/task-listeners.js';
import type { Tuning } from '../tuning.js';

/** Unexpected processor errors (database down, a bug) retry with backoff before the job fails. */
const JOB_OPTS = {
  removeOnComplete: true,
  removeOnFail: 1000,
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000 },
} as const;

export type TasksQueue = Queue<AnyPayloadOf<'tasks'>>;

/**
 * The BullMQ side of task runs: one job per live task, rescheduled until the task is terminal (an
 * ASYNC group's job stands in for its tasks' until their first poll is due, see TaskRounds.dispatchGroup).
 * Redis is only the transport: every call here may fail, and the reconciler repairs what it missed.
 */
@Injectable()
export class TaskQueue implements TaskLifecycleListener {
  private readonly logger = new Logger('TaskQueue');
  private readonly queuedHere = new Set<string>();
  private readonly tuning: Tuning;

  constructor(
    @InjectQueue(QueueName.tasks) readonly queue: TasksQueue,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'tuning'>,
  ) {
    this.tuning = config.tuning;
  }

  /** After a commit: queue what became ready, drop what finished, move rounds to their backoff's end. */
  afterCommit(e: Effects): void {
    this.enqueueLater(e.ready);
    this.removeLater(e.finished);
    this.rescheduleLater(e.retryWaits);
  }

  /** Adds a round for each task; a task that already has its job keeps it (same job id). */
  async enqueue(taskIds: string[], delayMs = 0, traceparent?: string): Promise<void> {
    await this.add(
      taskIds.map((id) => ({ id, delayMs })),
      traceparent,
    );
  }

  /** One job that dispatches every ready task of a group. */
  async enqueueGroups(groupIds: string[]): Promise<void> {
    const traceparent = currentTraceparent();
    await this.queue.addBulk(
      groupIds.map((groupRunId) => ({
        name: JobName.groupDispatch,
        data: traceparent ? { groupRunId, traceparent } : { groupRunId },
        opts: { jobId: groupJobId(groupRunId), ...JOB_OPTS },
      })),
    );
  }

  /** Group jobs due at the given times (a run dispatched directly: its poll fallback, see DirectStart). */
  async enqueueGroupsAt(items: Array<{ id: string; at: number }>): Promise<void> {
    const now = Date.now();
    await this.queue.addBulk(
      items.map(({ id, at }) => ({
        name: JobName.groupDispatch,
        data: { groupRunId: id },
        opts: { jobId: groupJobId(id), delay: Math.max(0, at - now), ...JOB_OPTS },
      })),
    );
  }

  /** Per-task rounds, each with its own delay (the poll fallback after a group dispatch). */
  enqueueEach(items: Array<{ id: string; delayMs: number }>): Promise<void> {
    return this.add(items, currentTraceparent());
  }

  private async add(items: Array<{ id: string; delayMs: number }>, traceparent: string | undefined): Promise<void> {
    this.remember(items.map((i) => i.id));
    const step = this.tuning.queueBulkAdd;
    for (let i = 0; i < items.length; i += step) {
      await this.queue.addBulk(
        items.slice(i, i + step).map(({ id, delayMs }) => ({
          name: JobName.taskRound,
          data: traceparent ? { taskRunId: id, traceparent } : { taskRunId: id },
          opts: { jobId: taskJobId(id), delay: delayMs, ...JOB_OPTS },
        })),
      );
    }
  }

  /** Queues what a commit made ready, logging instead of failing: the reconciler repairs a miss. */
  startLater(order: { groups: string[]; tasks: string[] }): void {
    if (order.groups.length) this.enqueueGroups(order.groups).catch((err) => this.missed(err));
    // Here (the trigger's request), unlike enqueueLater (a batch of many traces), the trace is known.
    if (order.tasks.length) this.enqueue(order.tasks, 0, currentTraceparent()).catch((err) => this.missed(err));
  }

  /** Enqueue, logging instead of failing: the caller's database work is already committed. */
  enqueueLater(taskIds: string[]): void {
    if (taskIds.length) this.enqueue(taskIds, 0, undefined).catch((err) => this.missed(err));
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

  private remember(ids: string[]): void {
    for (const id of ids) this.queuedHere.add(id);
    // Bounded: forgetting an id only means its round ends by itself later.
    while (this.queuedHere.size > this.tuning.queuedIdsKept)
      this.queuedHere.delete(this.queuedHere.values().next().value!);
  }

  private missed(err: unknown): void {
    this.logger.warn(`enqueue failed, the reconciler will retry: ${err}`);
  }
}

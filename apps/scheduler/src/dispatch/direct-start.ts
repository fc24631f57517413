import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { currentTraceparent, inSpan } from '#ferry/observability';
import { JobName } from '#ferry/queue';
import { CallbackBase } from '../core/callback-base.js';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import type { GroupStatusChange, GroupStatusListener } from '../groups/group-listeners.js';
import { type GroupRunPlan, startOrder } from '../groups/group-run.factory.js';
import { TaskQueue } from '../queue/task-queue.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { TaskRounds } from './task-rounds.js';

/**
 * Starts the runs a commit created. A small ASYNC run created here (at most `directStartMaxTasks` tasks) is
 * dispatched by this instance at once, as its group job's first run would be, without the job: no queue round trip
 * between a trigger and its sync requests. The job's other part, the poll fallback (the group job, delayed to the
 * first poll), is added only for a run still live `directArmAfterMs` later, so a run whose callbacks end it before
 * then costs the queue nothing. Bigger runs, SYNC runs, dispatches past `concurrency` tasks at once here, and an
 * instance that takes no work go through the queue as before. A crash before the job is added leaves live tasks
 * without a job: the reconciler gives them theirs.
 */
@Injectable()
export class DirectStart implements GroupStatusListener, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DirectStart');
  /** Tasks being dispatched here now. */
  private sending = 0;
  private readonly inFlight = new Set<Promise<void>>();
  /** Runs dispatched here, still live as far as this instance knows, with when their first poll is due. */
  private readonly unarmed = new Map<string, number>();
  private armTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly maxTasks: number;
  private readonly armAfterMs: number;
  /**
   * Found once the instance is built, not injected: the rounds depend (through the engine's listeners) on what
   * starts runs, the trigger writers among them.
   */
  private rounds?: Pick<TaskRounds, 'dispatchGroup'>;

  constructor(
    @Inject(ModuleRef) private readonly refs: Pick<ModuleRef, 'get'>,
    @Inject(TaskQueue) private readonly queue: Pick<TaskQueue, 'startLater' | 'enqueueGroupsAt'>,
    @Inject(CallbackBase) private readonly base: Pick<CallbackBase, 'isKnown'>,
    @Inject(SCHEDULER_CONFIG) private readonly config: Pick<SchedulerConfig, 'runWorkers' | 'concurrency' | 'tuning'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {
    this.maxTasks = config.tuning.directStartMaxTasks;
    this.armAfterMs = config.tuning.directArmAfterMs;
  }

  onApplicationBootstrap(): void {
    this.rounds = this.refs.get(TaskRounds);
  }

  /** After the commit that wrote them (and CreatedRuns kept them): each run's first tasks start. */
  start(plans: GroupRunPlan[]): void {
    const order = startOrder(plans);
    const direct = this.config.runWorkers && !this.stopped && this.rounds !== undefined && this.base.isKnown();
    const queued: string[] = [];
    for (const { group, tasks } of plans) {
      if (group.runMode !== 'ASYNC') continue;
      const fits = tasks.length <= this.maxTasks && this.sending + tasks.length <= this.config.concurrency;
      if (direct && fits) this.dispatch(group.id, tasks.length);
      else queued.push(group.id);
    }
    this.queue.startLater({ groups: queued, tasks: order.tasks });
  }

  /** A run that ended needs no poll fallback. */
  onGroupStatus(change: GroupStatusChange): void {
    if (change.status !== 'RUNNING') this.unarmed.delete(change.id);
  }

  /** No new direct dispatches: runs started from now on go through the queue. */
  onModuleDestroy(): void {
    this.stopped = true;
  }

  /** Waits for the dispatches under way, then adds the poll jobs still owed (a stopping scheduler). */
  async settle(): Promise<void> {
    this.stopped = true;
    while (this.inFlight.size) await Promise.all(this.inFlight);
    await this.arm();
  }

  private dispatch(groupRunId: string, tasks: number): void {
    this.sending += tasks;
    // Traced as the group job's run would be: a span of its own under the trigger's.
    const traceparent = currentTraceparent();
    const round = () => this.rounds!.dispatchGroup(groupRunId);
    const attributes = { 'ferry.group_run_id': groupRunId };
    const work = (
      traceparent
        ? inSpan('ferry-scheduler', JobName.groupDispatch, { parent: traceparent, attributes }, round)
        : round()
    )
      .then(
        (result) => {
          if (!result.done) this.armLater(groupRunId, this.clock() + result.delayMs);
        },
        (err: Error) => {
          // The queue's job runs it again (what was claimed and sent is known to the database).
          this.logger.warn(`dispatching group run ${groupRunId} failed, its group job retries: ${err.message}`);
          this.queue.startLater({ groups: [groupRunId], tasks: [] });
        },
      )
      .finally(() => {
        this.sending -= tasks;
        this.inFlight.delete(work);
      });
    this.inFlight.add(work);
  }

  private armLater(groupRunId: string, pollAt: number): void {
    this.unarmed.set(groupRunId, pollAt);
    this.armTimer ??= setTimeout(() => void this.arm(), this.armAfterMs);
  }

  /** The poll jobs of the runs still live, in one call; a failure is the reconciler's to repair. */
  private async arm(): Promise<void> {
    clearTimeout(this.armTimer);
    this.armTimer = undefined;
    const due = [...this.unarmed];
    this.unarmed.clear();
    if (!due.length) return;
    await this.queue
      .enqueueGroupsAt(due.map(([id, at]) => ({ id, at })))
      .catch((err: Error) => this.logger.warn(`adding poll jobs failed, the reconciler will: ${err.message}`));
  }
}

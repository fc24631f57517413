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
import type { GroupSpec } from '../groups/group-status.js';
import type { ClaimedRun } from '../tasks/task-engine.js';
import { type RoundResult, TaskRounds } from './task-rounds.js';

/** A trigger's runs that `claim` took to start here, by id, with their claims; `start` (or `release`) takes them. */
export type ClaimedRuns = Map<string, ClaimedRun>;

/**
 * Starts the runs a commit created. A small ASYNC run created here (at most `directStartMaxTasks` tasks) is
 * dispatched by this instance at once, as its group job's first run would be, without the job: no queue round trip
 * between a trigger and its sync requests. A trigger's runs are taken before they are written (`claim`): their
 * first claims are decided then and written with them, so they cost no statement of their own; the sends wait for
 * the commit. A crash in between leaves claimed tasks unanswered, which the claim path re-sends under their keys
 * once their sender has surely given up, as after any claim whose send was lost. The job's other part, the poll
 * fallback (the group job, delayed to the first poll), is added only for a run still live `directArmAfterMs`
 * later, so a run whose callbacks end it before then costs the queue nothing. Bigger runs, SYNC runs, dispatches
 * past `concurrency` tasks at once here, and an instance that takes no work go through the queue as before. A
 * crash before the job is added leaves live tasks without a job: the reconciler gives them theirs.
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
  private rounds?: Pick<TaskRounds, 'dispatchGroup' | 'claimNew' | 'sendClaimed'>;

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

  /**
   * Before the plans are written: the runs this instance will start at once get their first claims now, in the
   * plans (their tasks as claimed, with the claims' events), and hold their place among the sends in flight. Each
   * taken run must then be `start`ed once its rows are committed, or `release`d if they are not.
   */
  async claim(plans: GroupRunPlan[]): Promise<ClaimedRuns> {
    const claimed: ClaimedRuns = new Map();
    for (const plan of plans) {
      const n = plan.tasks.length;
      if (!this.direct() || plan.group.runMode !== 'ASYNC' || !this.fits(n)) continue;
      const group = { id: plan.group.id, runMode: 'ASYNC' as const, spec: plan.group.spec as GroupSpec };
      const run = await this.rounds!.claimNew(group, plan.tasks);
      // Checked again: other triggers took places while this one's claims were decided.
      if (!run || !this.fits(n)) continue;
      this.sending += n;
      plan.tasks = run.rows;
      plan.events = run.events;
      claimed.set(plan.group.id, run);
    }
    return claimed;
  }

  /** Runs taken by `claim` whose rows were not written (a copy of their trigger came first, or the write failed). */
  release(claimed: ClaimedRuns): void {
    for (const run of claimed.values()) this.sending -= run.outcomes.length;
    claimed.clear();
  }

  /**
   * After the commit that wrote them (and CreatedRuns kept them): each run's first tasks start; those `claim`
   * took are sent here whatever happened since (their claims are written).
   */
  start(plans: GroupRunPlan[], claimed: ClaimedRuns = new Map()): void {
    const order = startOrder(plans);
    const direct = this.direct();
    const queued: string[] = [];
    for (const { group, tasks } of plans) {
      if (group.runMode !== 'ASYNC') continue;
      const run = claimed.get(group.id);
      if (run) this.dispatch(group.id, tasks.length, () => this.rounds!.sendClaimed(group.id, run), true);
      else if (direct && this.fits(tasks.length))
        this.dispatch(group.id, tasks.length, () => this.rounds!.dispatchGroup(group.id));
      else queued.push(group.id);
    }
    this.queue.startLater({ groups: queued, tasks: order.tasks });
  }

  private direct(): boolean {
    return this.config.runWorkers && !this.stopped && this.rounds !== undefined && this.base.isKnown();
  }

  private fits(tasks: number): boolean {
    return tasks <= this.maxTasks && this.sending + tasks <= this.config.concurrency;
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

  /** `reserved`: the run's places among the sends were taken by `claim`. */
  private dispatch(groupRunId: string, tasks: number, round: () => Promise<RoundResult>, reserved = false): void {
    if (!reserved) this.sending += tasks;
    // Traced as the group job's run would be: a span of its own under the trigger's.
    const traceparent = currentTraceparent();
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

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { JobType } from 'bullmq';
import { Db } from '#ferry/persistence';
import { groupJobId, taskJobId } from '#ferry/queue';
import { GroupRunEntity, TaskRunEntity } from '../persistence/index.js';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import { GroupRecounter } from '../groups/group-recounter.js';
import { TaskQueue } from '../queue/task-queue.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { LIVE_STATUSES } from '../tasks/task-status.js';
import { Periodic } from './periodic.js';

/** A paused queue's waiting list: BullMQ's getRanges reads it (as getJobState does), its types do not name it. */
const PAUSED = 'paused' as JobType;

/**
 * The database is the system of record, Redis the transport: on start and periodically, every live
 * task whose job is missing (a crash, a Redis restart, FLUSHALL) gets it back. Re-adding an existing
 * job id is a no-op, so instances can run this at the same time without creating duplicates.
 * (Deadlines are the OverdueSweeper's, which reads only the runs that are due.)
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Reconciler');
  private readonly periodic = new Periodic('reconcile', () => this.runOnce(), this.logger);
  private readonly graceMs: number;

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(TaskQueue) private readonly queue: Pick<TaskQueue, 'queue' | 'enqueue'>,
    @Inject(GroupRecounter) private readonly recounter: Pick<GroupRecounter, 'refresh'>,
    @Inject(SCHEDULER_CONFIG)
    private readonly config: Pick<SchedulerConfig, 'reconcileIntervalMs' | 'runWorkers' | 'tuning'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {
    this.graceMs = config.tuning.reconcileGraceMs;
  }

  /** At once, then periodically, on instances that take work (not on API-only ones). */
  onApplicationBootstrap(): void {
    if (this.config.runWorkers) this.periodic.start(this.config.reconcileIntervalMs, true);
  }

  onModuleDestroy(): Promise<void> {
    return this.periodic.stop();
  }

  /** Answers how many jobs were put back. */
  async runOnce(): Promise<{ requeued: number }> {
    const now = this.clock();
    const live = await this.db.run((em) =>
      em
        .getRepository(TaskRunEntity)
        .createQueryBuilder('t')
        .select(['t.id', 't.groupRunId', 't.readyAt', 't.updatedAt'])
        .where('t.status IN (:...live)', { live: LIVE_STATUSES })
        .getMany(),
    );
    const missing: string[] = [];
    // Skip tasks that moved a moment ago: their group dispatch may still be queueing their rounds.
    const ready = live.filter((t) => t.readyAt !== null && t.updatedAt < now - this.graceMs);
    if (ready.length) {
      // The ids the queue holds, by state, each set read by one script (a consistent view), rather than a state
      // lookup per live task: a pass over 100,000 live tasks is three calls to Redis, not 100,000 (each of which
      // searched the waiting list from its head).
      const queue = this.queue.queue;
      const [held, failed, waitingGroups] = await Promise.all([
        queue.getRanges(['active', 'wait', PAUSED, 'delayed', 'prioritized', 'waiting-children'], 0, -1),
        queue.getRanges(['failed'], 0, -1),
        // An ASYNC group's job stands in for its tasks' rounds until it arms them (TaskRounds.dispatchGroup),
        // while it waits for that. A running one may belong to a dead instance (its lock has yet to expire),
        // so its tasks get their rounds now; the group job's own arming later finds them there.
        queue.getRanges(['wait', PAUSED, 'delayed', 'prioritized'], 0, -1),
      ]).then((lists) => lists.map((ids) => new Set(ids)));
      for (const t of ready) {
        const id = taskJobId(t.id);
        if (failed.has(id)) await (await queue.getJob(id))?.retry();
        else if (!held.has(id) && !waitingGroups.has(groupJobId(t.groupRunId))) missing.push(t.id);
      }
    }
    if (missing.length) {
      await this.queue.enqueue(missing);
      this.logger.log(`put back ${missing.length} task round(s) missing from the queue`);
    }
    // A crash between a task commit and its group's refresh leaves a finished group marked RUNNING.
    const stuck = await this.db.run((em) =>
      em
        .getRepository(GroupRunEntity)
        .createQueryBuilder('g')
        .select('g.id')
        .where('g.status = :running', { running: 'RUNNING' })
        .andWhere(
          (qb) =>
            'NOT EXISTS ' +
            qb
              .subQuery()
              .select('1')
              .from(TaskRunEntity, 't')
              .where('t.groupRunId = g.id AND t.status IN (:...live)')
              .getQuery(),
          { live: LIVE_STATUSES },
        )
        .getMany(),
    );
    // The refresh announces the status change as if it had happened in time (alerts hang on it).
    for (const g of stuck) await this.recounter.refresh(g.id);
    return { requeued: missing.length };
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { SCHEDULER_CONFIG } from '../core/tokens.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { TASK_STORE, type TaskStore } from '../tasks/task-store.js';
import type { GroupRunPlan } from './group-run.factory.js';
import { GroupSpecs } from './group-specs.js';
import type { GroupInfo } from './group-store.js';

/**
 * Group runs just created and committed by this instance: their spec and their tasks' rows are kept
 * (the first claims read neither), and an ASYNC run's ready task ids too (up to
 * `createdReadyMaxTasks`), so its group job's first run claims them without a read (`takeReady`).
 */
@Injectable()
export class CreatedRuns {
  private readonly ready = new Map<string, string[]>();
  private readyIds = 0;
  private readonly maxTasks: number;
  private readonly maxIds: number;

  constructor(
    @Inject(GroupSpecs) private readonly specs: Pick<GroupSpecs, 'remember'>,
    @Inject(TASK_STORE) private readonly tasks: Pick<TaskStore, 'remember'>,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'tuning'>,
  ) {
    this.maxTasks = config.tuning.createdReadyMaxTasks;
    this.maxIds = config.tuning.createdReadyIds;
  }

  created(plans: GroupRunPlan[]): void {
    for (const { group, tasks } of plans) {
      this.specs.remember({
        id: group.id,
        runMode: group.runMode as GroupInfo['runMode'],
        spec: group.spec as GroupInfo['spec'],
      });
      this.tasks.remember?.(tasks);
      if (group.runMode !== 'ASYNC' || tasks.length > this.maxTasks) continue;
      // Tasks written claimed (DirectStart.claim) are being sent already: not for the group job to claim.
      const ids = tasks.filter((t) => t.status === 'PENDING' && t.readyAt !== null).map((t) => t.id);
      if (!ids.length) continue;
      this.ready.set(group.id, ids);
      this.readyIds += ids.length;
      // Bounded by ids, not runs: with several instances most group jobs run elsewhere and never take theirs.
      while (this.readyIds > this.maxIds) {
        const [oldest, dropped] = this.ready.entries().next().value!;
        this.ready.delete(oldest);
        this.readyIds -= dropped.length;
      }
    }
  }

  /**
   * The ready tasks of a run created here, as created, once (a claim decided on a row someone moved
   * since is decided again on a fresh one). A rerun, or the job on another instance, finds nothing.
   */
  takeReady(groupRunId: string): string[] | undefined {
    const ids = this.ready.get(groupRunId);
    if (ids) {
      this.ready.delete(groupRunId);
      this.readyIds -= ids.length;
    }
    return ids;
  }
}

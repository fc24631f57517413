import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Db } from '#ferry/persistence';
import { AlertsService } from '../alerts/alerts.service.js';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import { GroupSpecs } from '../groups/group-specs.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { GroupRunEntity, TaskRunEntity } from '../persistence/index.js';
import type { GroupSpec } from '../groups/group-status.js';
import { TaskEngine } from '../tasks/task-engine.js';
import { LIVE_STATUSES } from '../tasks/task-status.js';
import { Periodic } from './periodic.js';

/**
 * Finds runs past their deadline: RUNNING groups (index ix_group_deadline) and live tasks
 * (ix_task_status), both "status = … AND deadline_at < now", so a pass reads the due set only, never
 * the history. A group is flagged and its OVERDUE alert raised in one transaction; tasks are flagged
 * (or, with the definition's `deadline.action: FAIL`, failed) through the state machine.
 */
@Injectable()
export class OverdueSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Overdue');
  private readonly periodic = new Periodic('overdue', () => this.runOnce(), this.logger);

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(TaskEngine) private readonly engine: Pick<TaskEngine, 'applyBatch'>,
    @Inject(GroupSpecs) private readonly groups: Pick<GroupSpecs, 'info'>,
    @Inject(AlertsService) private readonly alerts: AlertsService,
    @Inject(SCHEDULER_CONFIG)
    private readonly config: Pick<SchedulerConfig, 'overdueSweepMs' | 'runWorkers' | 'tuning'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {}

  /** Runs on instances that take work (not on API-only ones). */
  onApplicationBootstrap(): void {
    if (this.config.runWorkers) this.periodic.start(this.config.overdueSweepMs);
  }

  onModuleDestroy(): Promise<void> {
    return this.periodic.stop();
  }

  async runOnce(): Promise<{ groups: number; tasks: number }> {
    const now = this.clock();
    const groups = await this.db.run((em) =>
      em
        .getRepository(GroupRunEntity)
        .createQueryBuilder('g')
        .select(['g.id', 'g.definitionId', 'g.definitionName', 'g.spec', 'g.deadlineAt'])
        .where('g.status = :running AND g.deadlineAt < :now AND g.overdue = 0', { running: 'RUNNING', now })
        .take(this.config.tuning.overdueGroupsPerPass)
        .getMany(),
    );
    let flagged = 0;
    for (const g of groups) {
      const spec = g.spec as GroupSpec;
      const won = await this.db.tx(async (em) => {
        const res = await em
          .createQueryBuilder()
          .update(GroupRunEntity)
          .set({ overdue: 1, updatedAt: now })
          .where({ id: g.id, overdue: 0 })
          .execute();
        if (!res.affected) return false; // another instance got there first
        await this.alerts.raiseIn(em, {
          kind: 'OVERDUE',
          groupRunId: g.id,
          definitionId: g.definitionId,
          definitionName: g.definitionName,
          settings: spec.alerts,
          message: `Not finished by its deadline ${new Date(g.deadlineAt!).toISOString()}`,
          detail: { deadlineAt: g.deadlineAt, deadline: spec.deadline },
        });
        return true;
      });
      if (won) flagged++;
    }
    if (flagged) this.alerts.kick();

    const tasks = await this.db.run((em) =>
      em
        .getRepository(TaskRunEntity)
        .createQueryBuilder('t')
        .select(['t.id', 't.groupRunId'])
        .where('t.status IN (:...live) AND t.deadlineAt < :now AND t.overdue = 0', { live: LIVE_STATUSES, now })
        .take(this.config.tuning.overdueTasksPerPass)
        .getMany(),
    );
    const infos = await this.groups.info(undefined, [...new Set(tasks.map((t) => t.groupRunId))]);
    const step = this.config.tuning.maintenanceChunk;
    for (let i = 0; i < tasks.length; i += step) {
      await this.engine.applyBatch(
        tasks.slice(i, i + step).map((t) => ({
          taskId: t.id,
          cmd: { kind: 'overdue', fail: infos.get(t.groupRunId)?.spec.deadline?.action === 'FAIL' },
        })),
      );
    }
    if (flagged || tasks.length)
      this.logger.log(`${flagged} group run(s) and ${tasks.length} task run(s) past their deadline`);
    return { groups: flagged, tasks: tasks.length };
  }
}

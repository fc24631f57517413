import { Logger } from '@nestjs/common';
import type { Db } from '#ferry/persistence';
import type { AlertsService } from '../alerts/alerts.service.js';
import { GroupRunEntity, TaskRunEntity } from '../persistence/index.js';
import type { GroupSpec } from '../groups/group-status.js';
import type { TaskEngine } from '../tasks/task-engine.js';
import { LIVE_STATUSES } from '../tasks/task-status.js';
import { Periodic } from './periodic.js';

/**
 * Finds runs past their deadline: RUNNING groups (index ix_group_deadline) and live tasks
 * (ix_task_status), both "status = … AND deadline_at < now", so a pass reads the due set only, never
 * the history. A group is flagged and its OVERDUE alert raised in one transaction; tasks are flagged
 * (or, with the definition's `deadline.action: FAIL`, failed) through the state machine.
 */
export class OverdueSweeper {
  private readonly logger = new Logger('Overdue');
  private readonly periodic = new Periodic('overdue', () => this.runOnce(), this.logger);

  constructor(
    private readonly db: Db,
    private readonly engine: TaskEngine,
    private readonly alerts: AlertsService,
    private readonly intervalMs: number,
    private readonly clock = Date.now,
  ) {}

  start(): void {
    this.periodic.start(this.intervalMs);
  }

  stop(): Promise<void> {
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
        .take(1000)
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
        .take(5000)
        .getMany(),
    );
    const infos = await this.engine.groups.info(undefined, [...new Set(tasks.map((t) => t.groupRunId))]);
    for (let i = 0; i < tasks.length; i += 500) {
      await this.engine.applyBatch(
        tasks.slice(i, i + 500).map((t) => ({
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

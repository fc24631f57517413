import { Inject, Injectable } from '@nestjs/common';
import { type MarkSucceeded, markSucceededSchema, type Rerun, rerunSchema } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { compileSchema } from '#ferry/http';
import { Db } from '#ferry/persistence';
import type { Actor } from '../audit/actor.js';
import { AuditLog } from '../audit/audit-log.js';
import { GroupRunEntity, TaskRunEntity } from '../persistence/index.js';
import { GroupRecounter } from '../groups/group-recounter.js';
import { TaskEngine } from '../tasks/task-engine.js';
import { RunsService } from './runs.service.js';

const validateMark = compileSchema<MarkSucceeded>(markSucceededSchema);
const validateRerun = compileSchema<Rerun>(rerunSchema);

/**
 * Issue 13's operator moves on finished runs. Each is one command through the task engine (its own
 * transaction: the rows, their events, the SYNC cascade and the audit event commit together), then a
 * recount of the group.
 */
@Injectable()
export class RunMovesService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(TaskEngine) private readonly engine: TaskEngine,
    @Inject(GroupRecounter) private readonly recounter: GroupRecounter,
    @Inject(RunsService) private readonly runs: RunsService,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  /** A FAILED task (or a reconciliation MISMATCH) an operator fixed by hand; SYNC successors continue. */
  async markSucceeded(id: string, body: unknown, actor: Actor) {
    const { reason } = validateMark(body ?? {});
    const seen = await this.db.run((em) => em.getRepository(TaskRunEntity).findOneBy({ id }));
    const [out] = await this.engine.applyBatch(
      [{ taskId: id, cmd: { kind: 'markSucceeded', actor: 'operator', reason } }],
      (tx, [o]) =>
        o.task && o.answer.type === 'applied'
          ? this.audit.record(tx, {
              actor,
              action: 'task-run.mark-succeeded',
              objectType: 'task-run',
              objectId: id,
              before: seen && { status: seen.status, reconStatus: seen.reconStatus },
              after: { status: o.task.status, reconStatus: o.task.reconStatus },
              detail: { reason },
            })
          : Promise.resolve(),
    );
    if (out.answer.type === 'notFound') throw ApiError.notFound('Task run', id);
    if (out.answer.type === 'conflict') throw ApiError.conflict(out.answer.message);
    if (out.task) await this.recount(out.task.groupRunId);
    return this.runs.getTask(id);
  }

  /**
   * A finished group run again, whole or from its first FAILED task (by seq): each task from there goes
   * back to PENDING through the state machine (which refuses a live one) and is claimed with a new
   * dispatch id. A SYNC group readies only the first of them; the others follow in order.
   */
  async rerun(id: string, body: unknown, actor: Actor) {
    const { from } = validateRerun(body ?? {});
    const { group, tasks } = await this.db.run(async (em) => {
      const group = await em.getRepository(GroupRunEntity).findOneBy({ id });
      if (!group) throw ApiError.notFound('Group run', id);
      if (group.status === 'RUNNING')
        throw ApiError.conflict(`Group run ${id} is RUNNING; only a finished one is rerun`);
      const tasks = await em
        .getRepository(TaskRunEntity)
        .createQueryBuilder('t')
        .select(['t.id', 't.seq', 't.status'])
        .where('t.groupRunId = :id', { id })
        .orderBy('t.seq', 'ASC')
        .getMany();
      return { group, tasks };
    });
    const start = from === 'start' ? 0 : tasks.findIndex((t) => t.status === 'FAILED');
    if (start < 0) throw ApiError.conflict(`Group run ${id} has no FAILED task to rerun from`);
    const sync = group.runMode === 'SYNC';
    const outcomes = await this.engine.applyBatch(
      tasks.slice(start).map((t, i) => ({
        taskId: t.id,
        cmd: { kind: 'rerun', actor: 'operator', ready: !sync || i === 0 },
      })),
      (tx, done) => {
        const rerun = done.filter((o) => o.answer.type === 'applied').length;
        return rerun
          ? this.audit.record(tx, {
              actor,
              action: 'group-run.rerun',
              objectType: 'group-run',
              objectId: id,
              before: { status: group.status },
              after: { rerunTasks: rerun, fromSeq: tasks[start].seq },
              detail: { from },
            })
          : Promise.resolve();
      },
    );
    // Another operator's move came first (a retry, a rerun): the state machine refused every task.
    if (!outcomes.some((o) => o.answer.type === 'applied'))
      throw ApiError.conflict(`Group run ${id} changed meanwhile; nothing was rerun`);
    await this.recount(id);
    return this.runs.getGroup(id);
  }

  /** As RunsService's: the move stands if the recount fails, which is then done later. */
  private async recount(groupRunId: string): Promise<void> {
    await this.recounter.refresh(groupRunId).catch(() => this.recounter.refreshLater([groupRunId]));
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Page } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { Db } from '#ferry/persistence';
import type { Actor } from '../audit/actor.js';
import { AuditLog } from '../audit/audit-log.js';
import { CLOCK, type Clock } from '../core/tokens.js';
import { DefinitionsService } from '../definitions/definitions.service.js';
import { DownstreamCancels } from '../dispatch/downstream-cancels.js';
import { CreatedRuns } from '../groups/created-runs.js';
import { GroupRecounter } from '../groups/group-recounter.js';
import { GroupRunFactory } from '../groups/group-run.factory.js';
import { GroupRunEntity, TaskEventEntity, TaskRunEntity, TriggerEntity } from '../persistence/index.js';
import { TaskQueue } from '../queue/task-queue.js';
import { TaskEngine } from '../tasks/task-engine.js';
import { LIVE_STATUSES, type TaskRow } from '../tasks/task-status.js';
import { summarizePayload } from '../triggers/payload-summary.js';
import { iso, keysetPage, parseBusinessDate, parseInstant } from './paging.js';
import { groupView, taskView, triggerView } from './views.js';

/** Every column of a trigger but its payload (lists show its summary instead). */
const LISTED_TRIGGER_COLUMNS = [
  'id',
  'source',
  'messageId',
  'event',
  'businessDate',
  'status',
  'reason',
  'via',
  'answer',
  'receivedAt',
  'payloadSummary',
  'replayedAt',
  'replayAnswer',
] as const satisfies ReadonlyArray<keyof TriggerEntity>;

export interface GroupRunQuery {
  status?: string;
  definition?: string;
  businessDate?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: string;
}

/** Operators' view of runs, and the operator moves (cancel, retry, manual run). */
@Injectable()
export class RunsService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(TaskEngine) private readonly engine: TaskEngine,
    @Inject(GroupRecounter) private readonly recounter: GroupRecounter,
    @Inject(DefinitionsService) private readonly definitions: DefinitionsService,
    @Inject(GroupRunFactory) private readonly factory: GroupRunFactory,
    @Inject(CreatedRuns) private readonly createdRuns: Pick<CreatedRuns, 'created'>,
    @Inject(TaskQueue) private readonly queue: TaskQueue,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
    @Inject(DownstreamCancels) private readonly cancels?: Pick<DownstreamCancels, 'cancelJobs'>,
  ) {}

  async listGroups(q: GroupRunQuery): Promise<Page<ReturnType<typeof groupView>>> {
    const from = parseInstant(q.from, 'from');
    const to = parseInstant(q.to, 'to');
    const businessDate = parseBusinessDate(q.businessDate, 'businessDate');
    return this.db.run((em) => {
      const qb = em.getRepository(GroupRunEntity).createQueryBuilder('g');
      if (q.status) qb.andWhere('g.status = :status', { status: q.status });
      if (q.definition) qb.andWhere('(g.definitionId = :d OR g.definitionName = :d)', { d: q.definition });
      if (businessDate !== undefined) qb.andWhere('g.businessDate = :businessDate', { businessDate });
      if (from !== undefined) qb.andWhere('g.createdAt >= :from', { from });
      if (to !== undefined) qb.andWhere('g.createdAt < :to', { to });
      return keysetPage(qb, 'createdAt', q, groupView);
    });
  }

  async getGroup(id: string) {
    return this.db.run(async (em) => {
      const g = await em.getRepository(GroupRunEntity).findOneBy({ id });
      if (!g) throw ApiError.notFound('Group run', id);
      const tasks = await em
        .getRepository(TaskRunEntity)
        .find({ where: { groupRunId: id }, order: { seq: 'ASC' }, take: 1000 });
      return { ...groupView(g), tasks: (tasks as unknown as TaskRow[]).map(taskView) };
    });
  }

  async cancelGroup(id: string, actor: Actor) {
    const live = await this.db.run(async (em) => {
      const g = await em.getRepository(GroupRunEntity).findOneBy({ id });
      if (!g) throw ApiError.notFound('Group run', id);
      if (g.status !== 'RUNNING') throw ApiError.conflict(`Group run ${id} is ${g.status} and cannot be cancelled`);
      return em
        .getRepository(TaskRunEntity)
        .createQueryBuilder('t')
        .select('t.id')
        .where('t.groupRunId = :id AND t.status IN (:...live)', { id, live: LIVE_STATUSES })
        .getMany();
    });
    const outcomes = await this.engine.applyBatch(
      live.map((t) => ({ taskId: t.id, cmd: { kind: 'cancel', actor: 'operator' } })),
      (tx, done) =>
        this.audit.record(tx, {
          actor,
          action: 'group-run.cancel',
          objectType: 'group-run',
          objectId: id,
          before: { status: 'RUNNING', liveTasks: live.length },
          after: { cancelledTasks: done.filter((o) => o.answer.type === 'applied').length },
        }),
    );
    // The jobs the cancelled tasks started: their downstreams are asked to stop them, without waiting.
    const started = outcomes.flatMap((o) => (o.answer.type === 'applied' && o.task ? [o.task] : []));
    void this.cancels?.cancelJobs(id, started).catch(() => undefined);
    await this.recount(id); // answer (and refuse a second cancel) with the group's new status, not a stale one
    return this.getGroup(id);
  }

  async getTask(id: string) {
    return this.db.run(async (em) => {
      const t = await em.getRepository(TaskRunEntity).findOneBy({ id });
      if (!t) throw ApiError.notFound('Task run', id);
      const events = await em.getRepository(TaskEventEntity).find({ where: { taskRunId: id }, order: { at: 'ASC' } });
      return {
        ...taskView(t as unknown as TaskRow),
        events: events.map((e) => ({
          from: e.fromStatus,
          to: e.toStatus,
          actor: e.actor,
          reason: e.reason,
          dispatchId: e.dispatchId,
          detail: e.detail,
          at: iso(e.at),
        })),
      };
    });
  }

  async retryTask(id: string, actor: Actor) {
    const seen = await this.db.run((em) => em.getRepository(TaskRunEntity).findOneBy({ id }));
    const [out] = await this.engine.applyBatch(
      [{ taskId: id, cmd: { kind: 'retry', actor: 'operator' } }],
      (tx, [o]) =>
        o.task && (o.answer.type === 'applied' || o.answer.type === 'send' || o.answer.type === 'none')
          ? this.audit.record(tx, {
              actor,
              action: 'task-run.retry',
              objectType: 'task-run',
              objectId: id,
              before: seen && { status: seen.status, attempt: seen.attempt },
              after: { status: o.task.status, attempt: o.task.attempt },
            })
          : Promise.resolve(),
    );
    if (out.answer.type === 'notFound') throw ApiError.notFound('Task run', id);
    if (out.answer.type === 'conflict') throw ApiError.conflict(out.answer.message);
    // The group is RUNNING again once the retry is answered, not a gathering delay later: an operator
    // (or a script) reading it next must not see the FAILED of before and act on it.
    if (out.task) await this.recount(out.task.groupRunId);
    return this.getTask(id);
  }

  /**
   * Recounts a group now, after an operator move. The move itself is committed: if the recount fails,
   * the answer still stands and the group is recounted later (and by the reconciler).
   */
  private async recount(groupRunId: string): Promise<void> {
    await this.recounter.refresh(groupRunId).catch(() => this.recounter.refreshLater([groupRunId]));
  }

  async manualRun(definitionId: string, body: unknown, actor: Actor) {
    const input = (body ?? {}) as { files?: []; businessDate?: string; attributes?: Record<string, unknown> };
    const { plan, ready } = await this.db.tx(async (em) => {
      const def = await this.definitions.find(em, definitionId);
      if (def.archivedAt !== null)
        throw ApiError.conflict(`Definition ${definitionId} is archived; unarchive it first`);
      const plan = this.factory.plan(def, input, null, this.clock());
      const ready = await this.factory.persist(em, plan);
      await this.audit.record(em, {
        actor,
        action: 'definition.run',
        objectType: 'definition',
        objectId: def.id,
        after: { groupRunId: plan.group.id, tasks: plan.tasks.length, businessDate: plan.group.businessDate },
      });
      return { plan, ready };
    });
    this.createdRuns.created([plan]);
    this.queue.startLater(ready);
    return { ...groupView(plan.group), tasks: plan.tasks.length };
  }

  /** A page of triggers with their payloads' summaries: the payloads themselves are not read. */
  async listTriggers(q: { status?: string; cursor?: string; limit?: string }) {
    return this.db.run(async (em) => {
      const qb = em
        .getRepository(TriggerEntity)
        .createQueryBuilder('t')
        .select(LISTED_TRIGGER_COLUMNS.map((c) => `t.${c}`));
      if (q.status) qb.andWhere('t.status = :status', { status: q.status });
      const page = await keysetPage(qb, 'receivedAt', q, (t) => t);
      // Triggers written before summaries were kept: summarised from their payload, this once.
      const older = page.items.filter((t) => !t.payloadSummary).map((t) => t.id);
      const payloads = new Map<string, unknown>();
      if (older.length)
        for (const t of await em
          .getRepository(TriggerEntity)
          .createQueryBuilder('t')
          .select(['t.id', 't.payload'])
          .where('t.id IN (:...older)', { older })
          .getMany())
          payloads.set(t.id, t.payload);
      return {
        items: page.items.map((t) => triggerView(t, t.payloadSummary ?? summarizePayload(payloads.get(t.id) ?? null))),
        nextCursor: page.nextCursor,
      };
    });
  }

  /** One trigger with its whole payload. */
  async getTrigger(id: string) {
    const t = id.length <= 36 ? await this.db.run((em) => em.getRepository(TriggerEntity).findOneBy({ id })) : null;
    if (!t) throw ApiError.notFound('Trigger', id);
    return triggerView(t);
  }

  async stats() {
    return this.db.run(async (em) => {
      const count = async (entity: typeof GroupRunEntity | typeof TaskRunEntity | typeof TriggerEntity) => {
        const rows: Array<{ status: string; n: string | number }> = await em
          .getRepository(entity)
          .createQueryBuilder('x')
          .select('x.status', 'status')
          .addSelect('COUNT(*)', 'n')
          .groupBy('x.status')
          .getRawMany();
        return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      };
      const mismatches = await em.getRepository(TaskRunEntity).countBy({ reconStatus: 'MISMATCH' });
      const overdue = await em.getRepository(GroupRunEntity).countBy({ overdue: 1, status: 'RUNNING' });
      return {
        groupRuns: await count(GroupRunEntity),
        taskRuns: await count(TaskRunEntity),
        triggers: await count(TriggerEntity),
        reconciliationMismatches: mismatches,
        overdueGroupRuns: overdue,
      };
    });
  }
}

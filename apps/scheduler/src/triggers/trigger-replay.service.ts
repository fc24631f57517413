import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type TriggerAnswer, type TriggerMessage, triggerMessageSchema } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { compileChecker } from '#ferry/http';
import { Db, isUniqueViolation } from '#ferry/persistence';
import { triggerView } from '../admin/views.js';
import { AlertRaiser } from '../alerts/alert-raiser.js';
import type { Actor } from '../audit/actor.js';
import { AuditLog } from '../audit/audit-log.js';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import { gateBound, waitingSummary } from '../dependencies/dependency-hold.js';
import { CreatedRuns } from '../groups/created-runs.js';
import { GroupRunFactory, type GroupRunPlan } from '../groups/group-run.factory.js';
import { DependencyWaitEntity, TriggerEntity } from '../persistence/index.js';
import { DirectStart } from '../dispatch/direct-start.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { boundDefinitions } from '../definitions/bound-definitions.js';
import { filesOverCap } from './trigger-message.js';

const check = compileChecker(triggerMessageSchema);
const REPLAYABLE = ['UNMATCHED', 'REJECTED'];

/**
 * Replays an UNMATCHED or REJECTED trigger against today's bindings, once: the claim of the trigger
 * row (`replayed_at` set where it was null), its group runs and their tasks commit together, so a
 * second replay, even a concurrent one, creates nothing and answers the first one's outcome. The
 * replay's audit event commits with them. An UNMATCHED trigger that now matches resolves its (source,
 * event)'s UNMATCHED_TRIGGER alert in that transaction too, unless another such trigger still waits.
 */
@Injectable()
export class TriggerReplay {
  private readonly maxFiles: number;

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(GroupRunFactory) private readonly factory: GroupRunFactory,
    @Inject(DirectStart) private readonly starter: Pick<DirectStart, 'start'>,
    @Inject(CreatedRuns) private readonly createdRuns: Pick<CreatedRuns, 'created'>,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'bounds'>,
    @Inject(AuditLog) private readonly audit: Pick<AuditLog, 'record'>,
    @Inject(AlertRaiser) private readonly alerts: Pick<AlertRaiser, 'resolveUnmatchedIn'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {
    this.maxFiles = config.bounds.maxFilesPerTrigger;
  }

  async replay(id: string, actor: Actor) {
    const t = id.length <= 36 ? await this.db.run((em) => em.getRepository(TriggerEntity).findOneBy({ id })) : null;
    if (!t) throw ApiError.notFound('Trigger', id);
    if (t.replayedAt !== null) return triggerView(t); // replayed already: the same answer, nothing new
    if (!REPLAYABLE.includes(t.status))
      throw ApiError.conflict(`Trigger ${id} is ${t.status}; only an UNMATCHED or REJECTED one is replayed`);
    const msg = this.validMessage(t);
    let plans: GroupRunPlan[];
    try {
      plans = await this.db.tx(async (em) => {
        const now = this.clock();
        // The claim goes first: a concurrent replay waits on this row, then finds it replayed.
        const claimed = await em
          .createQueryBuilder()
          .update(TriggerEntity)
          .set({
            replayedAt: now,
            source: msg.source,
            messageId: msg.messageId,
            event: msg.event,
            businessDate: msg.businessDate ?? null,
          })
          .where('id = :id AND replayed_at IS NULL', { id })
          .execute();
        if (!claimed.affected) return [];
        const definitions = await boundDefinitions(em, msg.source, msg.event);
        if (!definitions.length)
          throw ApiError.conflict(`Trigger ${id} still matches no definition (${msg.source}/${msg.event})`);
        // A dependant whose upstreams have not succeeded for the date waits, as for a message received now.
        const { start, held } = await gateBound(em, definitions, msg.businessDate, now);
        const plans = start.map((s) =>
          this.factory.plan(s.definition, s.businessDate ? { ...msg, businessDate: s.businessDate } : msg, id, now),
        );
        for (const plan of plans) await this.factory.persist(em, plan);
        for (const h of held)
          await em.insert(DependencyWaitEntity, {
            triggerId: id,
            definitionId: h.definition.id,
            businessDate: h.businessDate,
            createdAt: now,
          });
        const answer: TriggerAnswer = {
          triggerId: id,
          duplicate: false,
          groupRuns: plans.map((p) => ({
            id: p.group.id,
            definition: p.group.definitionName,
            status: p.group.status,
            tasks: p.tasks.length,
          })),
          ...(held.length ? { waiting: waitingSummary(held) } : {}),
        };
        await em.update(TriggerEntity, { id }, { replayAnswer: answer });
        await this.audit.record(em, {
          actor,
          action: 'trigger.replay',
          objectType: 'trigger',
          objectId: id,
          before: { status: t.status, replayedAt: null },
          after: { status: t.status, replayedAt: new Date(now).toISOString(), groupRuns: answer.groupRuns },
        });
        if (t.status === 'UNMATCHED') await this.resolveUnmatched(em, msg, id, actor);
        return plans;
      });
    } catch (err) {
      // A REJECTED message now naming a (source, messageId) that another trigger already has.
      if (!isUniqueViolation(err)) throw err;
      throw ApiError.conflict(`Trigger ${id} is message ${msg.source}/${msg.messageId}, already received`);
    }
    if (plans.length) {
      this.createdRuns.created(plans);
      this.starter.start(plans);
    }
    return triggerView((await this.db.run((em) => em.getRepository(TriggerEntity).findOneBy({ id })))!);
  }

  /** The (source, event)'s UNMATCHED_TRIGGER alert is over once no trigger of it waits unreplayed: resolved, and audited. */
  private async resolveUnmatched(em: EntityManager, msg: TriggerMessage, triggerId: string, actor: Actor) {
    const noneLeft = async () =>
      !(await em
        .getRepository(TriggerEntity)
        .createQueryBuilder('t')
        .where('t.source = :source AND t.event = :event', { source: msg.source, event: msg.event })
        .andWhere('t.status = :unmatched AND t.replayedAt IS NULL', { unmatched: 'UNMATCHED' })
        .getExists());
    const resolved = await this.alerts.resolveUnmatchedIn(em, msg.source, msg.event, noneLeft);
    if (resolved)
      await this.audit.record(em, {
        actor,
        action: 'alert.resolve',
        objectType: 'alert',
        objectId: resolved.after.id,
        before: { status: resolved.before.status, resolvedAt: resolved.before.resolvedAt },
        after: { status: resolved.after.status, resolvedAt: resolved.after.resolvedAt },
        detail: { reason: 'trigger replayed', triggerId },
      });
  }

  /** The stored message, if it is a valid trigger now (a REJECTED one may still not be): else 409, naming why. */
  private validMessage(t: TriggerEntity): TriggerMessage {
    const problems = check(t.payload);
    const overCap = problems.length ? undefined : filesOverCap(t.payload as TriggerMessage, this.maxFiles);
    if (overCap) problems.push(overCap);
    if (problems.length)
      throw new ApiError(
        'CONFLICT',
        `Trigger ${t.id} is still not a valid trigger message: ${problems.map((p) => `${p.path} ${p.problem}`).join('; ')}`,
        problems,
      );
    return t.payload as TriggerMessage;
  }
}

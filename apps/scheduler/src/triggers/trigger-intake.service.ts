import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { type TriggerAnswer, type TriggerMessage, triggerMessageSchema } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { compileSchema } from '#ferry/http';
import { type Db, isUniqueViolation } from '#ferry/persistence';
import { BindingEntity, DefinitionEntity, GroupRunEntity, TaskRunEntity, TriggerEntity } from '../persistence/index.js';
import { GroupRunFactory, type GroupRunPlan, type StartOrder, startOrder } from '../groups/group-run.factory.js';
import { pgInsertIfNew } from '../tasks/task-store.pg.js';
import type { TaskQueue } from '../queue/task-queue.js';

export interface IntakeResult {
  duplicate: boolean;
  answer: TriggerAnswer;
}

type Written = { answer: TriggerAnswer; ready: StartOrder; plans: GroupRunPlan[]; notified: boolean };

const validate = compileSchema<TriggerMessage>(triggerMessageSchema);

/**
 * Turns a trigger message into group runs, exactly once per (source, messageId): the trigger row,
 * its group runs and their tasks commit together, and the unique index settles concurrent copies.
 */
export class TriggerIntake {
  /**
   * Writes the alert for a trigger that matched no definition, inside the trigger's own transaction
   * (a crash cannot keep the one without the other); answers whether a notification was queued.
   */
  unmatchedIn?: (em: EntityManager, triggerId: string, msg: TriggerMessage) => Promise<boolean>;
  /** Called once such a notification is committed (its delivery can start). */
  onNotified?: () => void;
  /** Called with the group runs a trigger created, once they are committed. */
  onCreated?: (plans: GroupRunPlan[]) => void;

  constructor(
    private readonly db: Db,
    private readonly factory: GroupRunFactory,
    private readonly queue: TaskQueue,
    private readonly clock = Date.now,
  ) {}

  async accept(body: unknown, via: 'http' | 'queue'): Promise<IntakeResult> {
    const msg = validate(body);
    let conflict: unknown;
    try {
      const written = await this.write(msg, via);
      if (written) {
        this.onCreated?.(written.plans);
        this.queue.startLater(written.ready);
        if (written.notified) this.onNotified?.();
        return { duplicate: false, answer: written.answer };
      }
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      conflict = err;
    }
    // A copy of this (source, messageId) came first: its answer, marked as a duplicate.
    const first = await this.db.run((em) =>
      em.getRepository(TriggerEntity).findOneBy({ source: msg.source, messageId: msg.messageId }),
    );
    if (!first)
      throw conflict ?? new Error(`Trigger ${msg.source}/${msg.messageId} conflicted with a copy that cannot be read`);
    return { duplicate: true, answer: { ...(first.answer as TriggerAnswer), duplicate: true } };
  }

  /** A queue message that is not a valid trigger is kept, with its reason, for operators to see. */
  async reject(body: unknown, reason: ApiError | Error): Promise<string> {
    const id = randomUUID();
    const details = reason instanceof ApiError ? reason.details.map((d) => `${d.path} ${d.problem}`).join('; ') : '';
    await this.db.tx((em) =>
      em.insert(TriggerEntity, <object>{
        id,
        source: null,
        messageId: null,
        event: null,
        businessDate: null,
        status: 'REJECTED',
        via: 'queue',
        reason: `${reason.message}${details ? `: ${details}` : ''}`.slice(0, 2000),
        payload: body ?? null,
        answer: null,
        receivedAt: this.clock(),
      }),
    );
    return id;
  }

  /**
   * Writes the trigger with its group runs and tasks, all or nothing; undefined when a copy of it
   * (same source and messageId) is there first. On PostgreSQL a matched trigger (up to 5,000 tasks) is
   * one statement, atomic by itself: no BEGIN and COMMIT round trips. Otherwise, and for a trigger that
   * matches nothing (its alert is written with it), one transaction, whose unique key refuses a copy.
   */
  private async write(msg: TriggerMessage, via: 'http' | 'queue'): Promise<Written | undefined> {
    let known: DefinitionEntity[] | undefined;
    if (this.db.type === 'postgres') {
      known = await this.db.run((em) => this.boundDefinitions(em, msg.source, msg.event));
      const { trigger, plans, answer } = this.draft(known, msg, via);
      if (plans.length && plans.reduce((n, p) => n + p.tasks.length, 0) <= 5000) {
        const wrote = await this.db.run((em) =>
          pgInsertIfNew(em, { entity: TriggerEntity, rows: [trigger], conflict: ['source', 'message_id'] }, [
            { entity: GroupRunEntity, rows: plans.map((p) => p.group) },
            { entity: TaskRunEntity, rows: plans.flatMap((p) => p.tasks) },
          ]),
        );
        return wrote ? { answer, ready: startOrder(plans), plans, notified: false } : undefined;
      }
    }
    return this.db.tx((em) => this.create(em, msg, via, known));
  }

  private async create(
    em: EntityManager,
    msg: TriggerMessage,
    via: 'http' | 'queue',
    known?: DefinitionEntity[],
  ): Promise<Written> {
    const { trigger, plans, answer } = this.draft(
      known ?? (await this.boundDefinitions(em, msg.source, msg.event)),
      msg,
      via,
    );
    // The trigger row goes first: a concurrent copy blocks on its unique key until this commits.
    await em.insert(TriggerEntity, trigger as object);
    for (const plan of plans) await this.factory.persist(em, plan);
    const notified = plans.length === 0 && this.unmatchedIn ? await this.unmatchedIn(em, trigger.id, msg) : false;
    return { answer, ready: startOrder(plans), plans, notified };
  }

  /** The rows a trigger makes: itself, and a group run (with its tasks) per bound definition. */
  private draft(
    definitions: DefinitionEntity[],
    msg: TriggerMessage,
    via: 'http' | 'queue',
  ): { trigger: TriggerEntity; plans: GroupRunPlan[]; answer: TriggerAnswer } {
    const now = this.clock();
    const triggerId = randomUUID();
    const plans = definitions.map((d) => this.factory.plan(d, msg, triggerId, now));
    const answer: TriggerAnswer = {
      triggerId,
      duplicate: false,
      groupRuns: plans.map((p) => ({
        id: p.group.id,
        definition: p.group.definitionName,
        status: p.group.status,
        tasks: p.tasks.length,
      })),
    };
    const trigger: TriggerEntity = {
      id: triggerId,
      source: msg.source,
      messageId: msg.messageId,
      event: msg.event,
      businessDate: msg.businessDate ?? null,
      status: plans.length ? 'ACCEPTED' : 'UNMATCHED',
      via,
      reason: plans.length ? null : 'No definition is bound to this source and event',
      payload: msg,
      answer,
      receivedAt: now,
    };
    return { trigger, plans, answer };
  }

  /** The definitions bound to (source, event), in one query. */
  private async boundDefinitions(em: EntityManager, source: string, event: string): Promise<DefinitionEntity[]> {
    return em
      .getRepository(DefinitionEntity)
      .createQueryBuilder('d')
      .where(
        (qb) =>
          'd.id IN ' +
          qb
            .subQuery()
            .select('b.definitionId')
            .from(BindingEntity, 'b')
            .where('b.source = :source AND b.event = :event')
            .getQuery(),
        { source, event },
      )
      .orderBy('d.name')
      .getMany();
  }
}

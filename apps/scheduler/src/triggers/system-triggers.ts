import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type EntityManager, In } from 'typeorm';
import type { DefinitionSpec, FileRef, TriggerAnswer, TriggerMessage } from '#ferry/contracts';
import { CreatedRuns } from '../groups/created-runs.js';
import { GroupRunFactory, type GroupRunPlan, startOrder } from '../groups/group-run.factory.js';
import { type DefinitionEntity, GroupRunEntity, TriggerEntity } from '../persistence/index.js';
import { TaskQueue } from '../queue/task-queue.js';
import { TASK_STORE, type TaskStore } from '../tasks/task-store.js';
import { summarizePayload } from './payload-summary.js';

/** Sources only Ferry itself writes: a client may not post them (it would take a fire's messageId first). */
export const RESERVED_SOURCE_PREFIX = 'ferry.';
export const SCHEDULE_SOURCE = 'ferry.schedule';
export const DEPENDENCY_SOURCE = 'ferry.dependency';

export const isReservedSource = (source: string): boolean => source.startsWith(RESERVED_SOURCE_PREFIX);

/** A trigger Ferry makes itself for one definition: a schedule's fire, or its dependencies met for a date. */
export interface SystemFire {
  definition: DefinitionEntity;
  source: typeof SCHEDULE_SOURCE | typeof DEPENDENCY_SOURCE;
  /** Derived from the definition and what fired it (the fire time, the date): the same fire, the same id. */
  messageId: string;
  via: 'schedule' | 'depends';
  businessDate: string;
  /** Without them: the definition's `files`, or else one task named after it. */
  files?: FileRef[];
  attributes?: Record<string, unknown>;
  /**
   * Recorded without a run, with why: SKIPPED (an overlap, a misfire), QUEUED (until the definition's live run
   * ends) or WAITING (for its dependencies).
   */
  held?: { status: 'SKIPPED' | 'QUEUED' | 'WAITING'; reason: string };
  /** When it is written (the trigger's receivedAt). */
  at: number;
}

export interface FireWritten {
  trigger: TriggerEntity;
  /** The run it started; none when it was held. */
  plan?: GroupRunPlan;
}

/**
 * Writes the triggers Ferry makes itself, in the caller's transaction (a schedule's clock moves in the same
 * one): trigger rows deduplicated by (source, messageId) like any message, and the definitions' group runs.
 * Nothing downstream of the trigger knows where it came from.
 */
@Injectable()
export class SystemTriggers {
  constructor(
    @Inject(GroupRunFactory) private readonly factory: GroupRunFactory,
    @Inject(TASK_STORE) private readonly tasks: Pick<TaskStore, 'insertTasks'>,
    @Inject(TaskQueue) private readonly queue: Pick<TaskQueue, 'startLater'>,
    @Inject(CreatedRuns) private readonly createdRuns: Pick<CreatedRuns, 'created'>,
  ) {}

  /** One fire; undefined when it is recorded already (another instance, or before a restart). */
  async write(em: EntityManager, fire: SystemFire): Promise<FireWritten | undefined> {
    return (await this.writeMany(em, [fire]))[0];
  }

  /**
   * Several fires in a few statements (the rows of each kind inserted together); each answer in the order
   * of `fires`, undefined for one recorded already, which writes nothing.
   */
  async writeMany(em: EntityManager, fires: SystemFire[]): Promise<Array<FireWritten | undefined>> {
    if (!fires.length) return [];
    const known = new Set<string>();
    for (const source of new Set(fires.map((f) => f.source))) {
      const ids = fires.filter((f) => f.source === source).map((f) => f.messageId);
      const rows = await em
        .getRepository(TriggerEntity)
        .find({ select: { messageId: true }, where: { source, messageId: In(ids) } });
      for (const r of rows) known.add(`${source}\u0000${r.messageId}`);
    }
    const out = fires.map((f) => {
      const key = `${f.source}\u0000${f.messageId}`;
      if (known.has(key)) return undefined;
      known.add(key); // the same fire twice in one batch is written once
      return this.draft(f);
    });
    const written = out.filter((w): w is FireWritten => w !== undefined);
    if (!written.length) return out;
    await em.insert(
      TriggerEntity,
      written.map((w) => w.trigger as object),
    );
    const plans = written.flatMap((w) => (w.plan ? [w.plan] : []));
    if (plans.length) {
      await em.insert(
        GroupRunEntity,
        plans.map((p) => p.group as object),
      );
      await this.tasks.insertTasks(
        em,
        plans.flatMap((p) => p.tasks),
      );
    }
    return out;
  }

  /**
   * Starts a held trigger (QUEUED, WAITING) now, in the caller's transaction: its run is made from the message it
   * keeps (`files` may replace its files), and it becomes ACCEPTED with its answer. Undefined when it is not held
   * any more (another instance started it, or it was never held), which writes nothing.
   */
  async startHeld(
    em: EntityManager,
    triggerId: string,
    definition: DefinitionEntity,
    at: number,
    files?: FileRef[],
  ): Promise<FireWritten | undefined> {
    const trigger = await em.getRepository(TriggerEntity).findOneBy({ id: triggerId });
    if (!trigger || (trigger.status !== 'QUEUED' && trigger.status !== 'WAITING')) return undefined;
    const msg = trigger.payload as TriggerMessage;
    const plan = this.factory.plan(definition, { ...msg, ...(files ? { files } : {}) }, trigger.id, at);
    const answer = answerOf(trigger.id, plan);
    const res = await em
      .createQueryBuilder()
      .update(TriggerEntity)
      .set({ status: 'ACCEPTED', answer: answer as object, reason: null })
      .where({ id: trigger.id, status: trigger.status })
      .execute();
    if (!res.affected) return undefined;
    await this.factory.persist(em, plan);
    return { trigger: { ...trigger, status: 'ACCEPTED', answer, reason: null }, plan };
  }

  /** Once the transaction that wrote them committed: their runs start. */
  started(written: Array<FireWritten | undefined>): void {
    const plans = written.flatMap((w) => (w?.plan ? [w.plan] : []));
    if (!plans.length) return;
    this.createdRuns.created(plans);
    this.queue.startLater(startOrder(plans));
  }

  private draft(fire: SystemFire): FireWritten {
    const triggerId = randomUUID();
    const files = fire.files ?? (fire.definition.spec as DefinitionSpec).files;
    const msg: TriggerMessage = {
      messageId: fire.messageId,
      source: fire.source,
      event: fire.definition.name,
      businessDate: fire.businessDate,
      ...(files ? { files } : {}),
      ...(fire.attributes ? { attributes: fire.attributes } : {}),
    };
    const plan = fire.held ? undefined : this.factory.plan(fire.definition, msg, triggerId, fire.at);
    const answer = answerOf(triggerId, plan);
    const trigger: TriggerEntity = {
      id: triggerId,
      source: msg.source,
      messageId: msg.messageId,
      event: msg.event,
      businessDate: fire.businessDate,
      status: fire.held?.status ?? 'ACCEPTED',
      via: fire.via,
      reason: fire.held?.reason ?? null,
      payload: msg,
      answer,
      receivedAt: fire.at,
      payloadSummary: summarizePayload(msg),
      replayedAt: null,
      replayAnswer: null,
    };
    return { trigger, plan };
  }
}

function answerOf(triggerId: string, plan: GroupRunPlan | undefined): TriggerAnswer {
  return {
    triggerId,
    duplicate: false,
    groupRuns: plan
      ? [
          {
            id: plan.group.id,
            definition: plan.group.definitionName,
            status: plan.group.status,
            tasks: plan.tasks.length,
          },
        ]
      : [],
  };
}

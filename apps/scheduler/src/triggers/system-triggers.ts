import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { DefinitionSpec, FileRef, TriggerAnswer, TriggerMessage } from '#ferry/contracts';
import { CreatedRuns } from '../groups/created-runs.js';
import { GroupRunFactory, type GroupRunPlan } from '../groups/group-run.factory.js';
import { type DefinitionEntity, DependencyWaitEntity, TriggerEntity } from '../persistence/index.js';
import { DirectStart } from '../dispatch/direct-start.js';
import { summarizePayload } from './payload-summary.js';
import { TRIGGER_WRITER, type TriggerWriter } from './trigger-writer.js';

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
   * ends) or WAITING for the definition's upstreams (see dependencyGate; the dependency resolver starts it once
   * they are met).
   */
  held?: { status: 'SKIPPED' | 'QUEUED' | 'WAITING'; reason: string };
  /** When it is written (the trigger's receivedAt). */
  at: number;
}

/** The runs some fires started. */
export const plansOf = (written: Array<FireWritten | undefined>): GroupRunPlan[] =>
  written.flatMap((w) => (w?.plan ? [w.plan] : []));

export interface FireWritten {
  trigger: TriggerEntity;
  definitionId: string;
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
    @Inject(TRIGGER_WRITER) private readonly writer: Pick<TriggerWriter, 'insertNew'>,
    @Inject(GroupRunFactory) private readonly factory: GroupRunFactory,
    @Inject(DirectStart) private readonly starter: Pick<DirectStart, 'start'>,
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
    const seen = new Set<string>();
    const drafts = fires.map((f) => {
      const key = `${f.source}\u0000${f.messageId}`;
      if (seen.has(key)) return undefined; // the same fire twice in one batch is written once
      seen.add(key);
      return this.draft(f);
    });
    const mine = drafts.filter((w): w is FireWritten => w !== undefined);
    const plans = plansOf(mine);
    // A fire held for its definition's upstreams is found again by the dependency resolver through its wait.
    const waits = mine
      .filter((w) => w.trigger.status === 'WAITING')
      .map((w) =>
        Object.assign(new DependencyWaitEntity(), {
          triggerId: w.trigger.id,
          definitionId: w.definitionId,
          businessDate: w.trigger.businessDate!,
          createdAt: w.trigger.receivedAt,
        }),
      );
    // One recorded already (another instance, or before a restart) writes nothing, and answers undefined.
    const written = await this.writer.insertNew(em, {
      triggers: mine.map((w) => w.trigger),
      groups: plans.map((p) => p.group),
      tasks: plans.flatMap((p) => p.tasks),
      waits,
    });
    return drafts.map((w) => (w && written.has(w.trigger.id) ? w : undefined));
  }

  /**
   * Starts a QUEUED fire now, in the caller's transaction (which holds its schedule's row, where it was kept):
   * undefined when it is not QUEUED any more, which writes nothing.
   */
  async startQueued(
    em: EntityManager,
    triggerId: string,
    definition: DefinitionEntity,
    at: number,
  ): Promise<FireWritten | undefined> {
    const trigger = await em.getRepository(TriggerEntity).findOneBy({ id: triggerId });
    if (trigger?.status !== 'QUEUED') return undefined;
    const plan = await this.startHeldRun(em, trigger, definition, at);
    return { trigger, definitionId: definition.id, plan };
  }

  /**
   * The run a held trigger (QUEUED, WAITING) starts for `definition`, once the caller has claimed it (its lock, its
   * wait row): made from the message the trigger keeps, for `businessDate` if given, and added to the trigger's
   * answer (its replay's, for a replayed one).
   */
  async startHeldRun(
    em: EntityManager,
    trigger: TriggerEntity,
    definition: DefinitionEntity,
    at: number,
    businessDate?: string,
  ): Promise<GroupRunPlan> {
    const msg = trigger.payload as Pick<TriggerMessage, 'files' | 'attributes' | 'businessDate'>;
    const plan = this.factory.plan(
      definition,
      { files: msg.files, attributes: msg.attributes, businessDate: businessDate ?? msg.businessDate },
      trigger.id,
      at,
    );
    await this.factory.persist(em, plan);
    // A replayed trigger's runs are in its replay's answer; its status stays what it was (UNMATCHED, REJECTED).
    const field = trigger.replayedAt === null ? 'answer' : 'replayAnswer';
    const { waiting, ...answer } = (trigger[field] as TriggerAnswer | null) ?? answerOf(trigger.id, undefined);
    const still = (waiting ?? []).filter((w) => w.definition !== definition.name);
    const started = {
      id: plan.group.id,
      definition: definition.name,
      status: plan.group.status,
      tasks: plan.tasks.length,
    };
    // Held, it is ACCEPTED from its first run on (`waiting` lists what it still waits for).
    const held = trigger.status === 'WAITING' || trigger.status === 'QUEUED';
    const changes = {
      status: held ? 'ACCEPTED' : trigger.status,
      reason: still.length || field === 'replayAnswer' ? trigger.reason : null,
      [field]: { ...answer, groupRuns: [...answer.groupRuns, started], ...(still.length ? { waiting: still } : {}) },
    };
    await em.update(TriggerEntity, { id: trigger.id }, changes as object);
    Object.assign(trigger, changes);
    return plan;
  }

  /** Once the transaction that wrote them committed: their runs start. */
  started(plans: GroupRunPlan[]): void {
    if (!plans.length) return;
    this.createdRuns.created(plans);
    this.starter.start(plans);
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
    return { trigger, definitionId: fire.definition.id, plan };
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

import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { DefinitionSpec, FileRef, TriggerAnswer } from '#ferry/contracts';
import { CreatedRuns } from '../groups/created-runs.js';
import { GroupRunFactory, type GroupRunPlan, startOrder } from '../groups/group-run.factory.js';
import { type DefinitionEntity, DependencyWaitEntity, TriggerEntity } from '../persistence/index.js';
import { TaskQueue } from '../queue/task-queue.js';
import { summarizePayload } from './payload-summary.js';

/** Sources only Ferry itself writes: a client may not post them (they would take a fire's messageId first). */
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
   * Recorded without a run: SKIPPED (an overlap or a misfire), QUEUED until the live run ends, or WAITING for
   * the definition's upstreams (see dependencyGate; the dependency resolver starts it once they are met); with why.
   */
  held?: { status: 'SKIPPED' | 'QUEUED' | 'WAITING'; reason: string };
  at: number;
}

export interface FireWritten {
  trigger: TriggerEntity;
  /** The run it started; none when it was held or skipped. */
  plan?: GroupRunPlan;
}

/**
 * Writes the triggers Ferry makes itself, in the caller's transaction (the schedule's clock moves in the same
 * one): the trigger row, deduplicated by (source, messageId) like any message, and the definition's group run.
 * Nothing downstream of the trigger knows where it came from.
 */
@Injectable()
export class SystemTriggers {
  constructor(
    @Inject(GroupRunFactory) private readonly factory: GroupRunFactory,
    @Inject(TaskQueue) private readonly queue: Pick<TaskQueue, 'startLater'>,
    @Inject(CreatedRuns) private readonly createdRuns: Pick<CreatedRuns, 'created'>,
  ) {}

  /** Undefined when this fire is recorded already (another instance, or before a restart): nothing is written. */
  async write(em: EntityManager, fire: SystemFire): Promise<FireWritten | undefined> {
    const repo = em.getRepository(TriggerEntity);
    if (await repo.exists({ where: { source: fire.source, messageId: fire.messageId } })) return undefined;
    const triggerId = randomUUID();
    const msg = {
      messageId: fire.messageId,
      source: fire.source,
      event: fire.definition.name,
      businessDate: fire.businessDate,
      files: fire.files ?? (fire.definition.spec as DefinitionSpec).files,
      ...(fire.attributes ? { attributes: fire.attributes } : {}),
    };
    const plan = fire.held ? undefined : this.factory.plan(fire.definition, msg, triggerId, fire.at);
    const answer: TriggerAnswer = {
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
    const trigger: TriggerEntity = {
      id: triggerId,
      source: msg.source,
      messageId: msg.messageId,
      event: msg.event,
      businessDate: msg.businessDate,
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
    await em.insert(TriggerEntity, trigger as object);
    if (plan) await this.factory.persist(em, plan);
    if (fire.held?.status === 'WAITING')
      await em.insert(DependencyWaitEntity, {
        triggerId,
        definitionId: fire.definition.id,
        businessDate: fire.businessDate,
        createdAt: fire.at,
      });
    return { trigger, plan };
  }

  /** Once the transaction that wrote them committed: their runs start. */
  started(plans: GroupRunPlan[]): void {
    if (!plans.length) return;
    this.createdRuns.created(plans);
    this.queue.startLater(startOrder(plans));
  }
}

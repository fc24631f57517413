import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type TriggerAnswer, type TriggerMessage, triggerMessageSchema } from '#ferry/contracts';
import { sourceAllowed } from '#ferry/auth';
import { ApiError } from '#ferry/errors';
import { compileSchema } from '#ferry/http';
import { Db, isUniqueViolation } from '#ferry/persistence';
import { AlertRaiser } from '../alerts/alert-raiser.js';
import { AlertsService } from '../alerts/alerts.service.js';
import { DefinitionReads } from '../definitions/definition-reads.js';
import { type ClaimedRuns, DirectStart } from '../dispatch/direct-start.js';
import { CreatedRuns } from '../groups/created-runs.js';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import {
  gateBound,
  type HeldForUpstreams,
  type StartNow,
  waitingReason,
  waitingSummary,
} from '../dependencies/dependency-hold.js';
import { DependencyWaitEntity, TriggerEntity } from '../persistence/index.js';
import { GroupRunFactory, type GroupRunPlan } from '../groups/group-run.factory.js';
import { TRIGGER_OBSERVER, type TriggerObserver } from '../observability/observers.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { summarizePayload } from './payload-summary.js';
import { isReservedSource, RESERVED_SOURCE_PREFIX } from './system-triggers.js';
import { filesOverCap } from './trigger-message.js';
import { TRIGGER_WRITER, type TriggerWriter } from './trigger-writer.js';

export interface IntakeResult {
  duplicate: boolean;
  answer: TriggerAnswer;
}

/** How a trigger reached Ferry: its `via` in the trigger record. */
export type TriggerVia = 'http' | 'queue' | BrokerVia;
/** The trigger sources in front of a broker or an upstream's table (apps/scheduler/src/sources). */
export type BrokerVia = 'rabbitmq' | 'nats' | 'outbox';

/**
 * Where a trigger came from: an HTTP caller may post only the sources its client is configured for, and so
 * may a broker source (`via`) the sources its configuration names; a message of the BullMQ trigger queue
 * carries no token, its producer is trusted by its access to Redis.
 */
export type TriggerOrigin = 'queue' | { sources: readonly string[]; via?: BrokerVia };

const viaOf = (origin: TriggerOrigin): TriggerVia => (origin === 'queue' ? 'queue' : (origin.via ?? 'http'));

type Written = { answer: TriggerAnswer; plans: GroupRunPlan[]; claimed: ClaimedRuns; notified: boolean };

const validate = compileSchema<TriggerMessage>(triggerMessageSchema);

/**
 * Turns a trigger message into group runs, exactly once per (source, messageId): the trigger row,
 * its group runs and their tasks commit together, and the unique index settles concurrent copies.
 */
@Injectable()
export class TriggerIntake {
  private readonly maxFiles: number;

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(GroupRunFactory) private readonly factory: GroupRunFactory,
    @Inject(TRIGGER_WRITER) private readonly writer: TriggerWriter,
    @Inject(DirectStart) private readonly starter: Pick<DirectStart, 'claim' | 'release' | 'start'>,
    /** Keeps what a trigger created, once committed: its tasks' first claims then need no read. */
    @Inject(CreatedRuns) private readonly createdRuns: Pick<CreatedRuns, 'created'>,
    /** The alert for a trigger that matched nothing is written in the trigger's own transaction. */
    @Inject(AlertRaiser) private readonly raiser: Pick<AlertRaiser, 'unmatchedIn'>,
    @Inject(AlertsService) private readonly alerts: Pick<AlertsService, 'kick'>,
    @Inject(TRIGGER_OBSERVER) private readonly observer: TriggerObserver,
    @Inject(DefinitionReads) private readonly definitions: Pick<DefinitionReads, 'boundTo'>,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'bounds'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {
    this.maxFiles = config.bounds.maxFilesPerTrigger;
  }

  /** A trigger message from HTTP or the queue: each is counted once, by source and outcome. */
  async accept(body: unknown, origin: TriggerOrigin): Promise<IntakeResult> {
    const via = viaOf(origin);
    const source = sourceOf(body);
    try {
      const result = await this.acceptValid(body, origin);
      this.observer.triggerSettled(
        source,
        result.duplicate
          ? 'duplicate'
          : result.answer.groupRuns.length || result.answer.waiting?.length
            ? 'accepted'
            : 'unmatched',
      );
      return result;
    } catch (err) {
      // A bad message of a queue or broker is counted when it is kept as REJECTED (reject()), not here as well.
      if (via === 'http' && err instanceof ApiError && err.status === 422)
        this.observer.triggerSettled(source, 'rejected');
      throw err;
    }
  }

  private async acceptValid(body: unknown, origin: TriggerOrigin): Promise<IntakeResult> {
    const msg = validate(body);
    const overCap = filesOverCap(msg, this.maxFiles);
    if (overCap) throw ApiError.validation([overCap], `Too many files: a trigger may list at most ${this.maxFiles}`);
    if (isReservedSource(msg.source))
      throw ApiError.validation(
        [
          {
            path: 'source',
            problem: `must not start with ${RESERVED_SOURCE_PREFIX}: Ferry writes those sources itself`,
          },
        ],
        'A reserved source',
      );
    const via = viaOf(origin);
    // Checked before anything is read or written, so a stranger cannot even learn of a duplicate.
    if (origin !== 'queue' && !sourceAllowed(origin.sources, msg.source)) {
      throw ApiError.forbidden(`This client may not post triggers for source ${JSON.stringify(msg.source)}`);
    }
    for (let round = 1; ; round++) {
      let conflict: unknown;
      try {
        const written = await this.write(msg, via);
        if (written) {
          this.createdRuns.created(written.plans);
          this.starter.start(written.plans, written.claimed);
          if (written.notified) this.alerts.kick();
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
      if (first) return { duplicate: true, answer: { ...(first.answer as TriggerAnswer), duplicate: true } };
      // Another key was taken meanwhile: the alert of an unmatched (source, event), raised at once by
      // another message. Written again, this one counts as an occurrence of that alert.
      if (!conflict || round >= 3)
        throw (
          conflict ?? new Error(`Trigger ${msg.source}/${msg.messageId} conflicted with a copy that cannot be read`)
        );
    }
  }

  /** A queued (or brokered) message that is not a valid trigger is kept, with its reason, for operators to see. */
  async reject(body: unknown, reason: ApiError | Error, via: Exclude<TriggerVia, 'http'> = 'queue'): Promise<string> {
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
        via,
        reason: `${reason.message}${details ? `: ${details}` : ''}`.slice(0, 2000),
        payload: body ?? null,
        answer: null,
        receivedAt: this.clock(),
        payloadSummary: summarizePayload(body ?? null),
      }),
    );
    this.observer.triggerSettled(sourceOf(body), 'rejected');
    return id;
  }

  /**
   * Writes the trigger with its group runs and tasks, all or nothing; undefined when a copy of it
   * (same source and messageId) is there first. A matched trigger is one atomic statement where the
   * storage adapter has one (PostgreSQL, up to a size); otherwise, and for a trigger that matches
   * nothing (its alert is written with it) or holds a dependant for its upstreams (its wait rows are
   * written with it), one transaction, whose unique key refuses a copy.
   */
  private async write(msg: TriggerMessage, via: TriggerVia): Promise<Written | undefined> {
    const now = this.clock();
    const definitions = await this.definitions.boundTo(msg.source, msg.event);
    const { start, held } = await this.db.run((em) => gateBound(em, definitions, msg.businessDate, now));
    const { trigger, plans, answer } = this.draft(start, held, msg, via, now);
    // The runs this instance starts at once are written claimed: their sends follow the commit.
    const claimed = await this.starter.claim(plans);
    try {
      const written = await this.writeDraft(trigger, plans, held, msg, now);
      if (!written) this.starter.release(claimed);
      return written && { ...written, answer, claimed };
    } catch (err) {
      this.starter.release(claimed);
      throw err;
    }
  }

  private async writeDraft(
    trigger: TriggerEntity,
    plans: GroupRunPlan[],
    held: HeldForUpstreams[],
    msg: TriggerMessage,
    now: number,
  ): Promise<Omit<Written, 'claimed' | 'answer'> | undefined> {
    const wrote = plans.length && !held.length ? await this.writer.insertAtOnce(trigger, plans) : undefined;
    if (wrote !== undefined) return wrote ? { plans, notified: false } : undefined;
    return this.db.tx(async (em) => {
      // The trigger row goes first: a concurrent copy blocks on its unique key until this commits.
      await em.insert(TriggerEntity, trigger as object);
      for (const plan of plans) await this.factory.persist(em, plan);
      // A dependant's upstreams may succeed between the gate's read and this commit: the resolver's
      // backstop sweep finds the wait row then.
      for (const h of held)
        await em.insert(DependencyWaitEntity, {
          triggerId: trigger.id,
          definitionId: h.definition.id,
          businessDate: h.businessDate,
          createdAt: now,
        });
      const notified = plans.length + held.length === 0 ? await this.raiser.unmatchedIn(em, trigger.id, msg) : false;
      return { plans, notified };
    });
  }

  /** The rows a trigger makes: itself, and a group run (with its tasks) per definition it starts now. */
  private draft(
    start: StartNow[],
    held: HeldForUpstreams[],
    msg: TriggerMessage,
    via: TriggerVia,
    now: number,
  ): { trigger: TriggerEntity; plans: GroupRunPlan[]; answer: TriggerAnswer } {
    const triggerId = randomUUID();
    const plans = start.map((s) =>
      this.factory.plan(s.definition, s.businessDate ? { ...msg, businessDate: s.businessDate } : msg, triggerId, now),
    );
    const answer: TriggerAnswer = {
      triggerId,
      duplicate: false,
      groupRuns: plans.map((p) => ({
        id: p.group.id,
        definition: p.group.definitionName,
        status: p.group.status,
        tasks: p.tasks.length,
      })),
      ...(held.length ? { waiting: waitingSummary(held) } : {}),
    };
    const status = plans.length ? 'ACCEPTED' : held.length ? 'WAITING' : 'UNMATCHED';
    const trigger: TriggerEntity = {
      id: triggerId,
      source: msg.source,
      messageId: msg.messageId,
      event: msg.event,
      businessDate: msg.businessDate ?? null,
      status,
      via,
      reason: held.length
        ? waitingReason(held)
        : plans.length
          ? null
          : 'No definition is bound to this source and event',
      payload: msg,
      answer,
      receivedAt: now,
      payloadSummary: summarizePayload(msg),
      replayedAt: null,
      replayAnswer: null,
    };
    return { trigger, plans, answer };
  }
}

/** The source a message names, if any (for counting it before, or without, validating it). */
function sourceOf(body: unknown): string | undefined {
  const source = (body as { source?: unknown } | null)?.source;
  return typeof source === 'string' ? source : undefined;
}

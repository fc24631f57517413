import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { type EntityManager, IsNull, LessThanOrEqual, Not } from 'typeorm';
import type { CalendarSpec, DefinitionSpec, ScheduleSpec } from '#ferry/contracts';
import { Db } from '#ferry/persistence';
import type { Actor } from '../audit/actor.js';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import { SCHEDULE_OBSERVER, type ScheduleObserver } from '../observability/observers.js';
import { type DefinitionEntity, ScheduleEntity } from '../persistence/index.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import {
  type FireWritten,
  plansOf,
  SCHEDULE_SOURCE,
  type SystemFire,
  SystemTriggers,
} from '../triggers/system-triggers.js';
import { dependencyGate } from '../dependencies/dependency-gate.js';
import { waitingReason } from '../dependencies/dependency-hold.js';
import { businessDateOf, planDue } from './schedule-math.js';
import { calendarsOf, definitionsOf, liveRunsOf, lockDue, lockSchedules, moveClocks } from './schedule-rows.js';

/** A fire started in this pass, live for the pass's next fire of the same definition. */
const THIS_PASS = 'a fire of this pass';

/** The system actor that cancels a definition's live run for a REPLACE overlap. */
const SCHEDULER_ACTOR: Actor = { clientId: 'ferry', subject: 'schedule' };

/** The messageId of a definition's fire at `at`: the same on every instance, so a fire is written once. */
export const fireMessageId = (definitionId: string, at: number): string =>
  `${definitionId}@${new Date(at).toISOString()}`;

/** Cancels a group run (the admin API's own cancel: tasks, their downstream jobs, the audit). */
export interface GroupCanceller {
  cancelGroup(id: string, actor: Actor): Promise<unknown>;
}
export const GROUP_CANCELLER = Symbol('GROUP_CANCELLER');

interface Pass {
  written: Array<FireWritten | undefined>;
  /** REPLACE: live runs to cancel once the pass committed (their fires wait QUEUED until they end). */
  cancel: string[];
  /** The fire times of the fires written (not those recorded as skipped), for the fire lag once committed. */
  scheduled: number[];
  /** How many schedule rows the pass locked (fewer than a batch: none are left for now). */
  taken: number;
}

/**
 * Fires the schedules: every instance that takes work runs this loop, and each due schedule row is taken by
 * one of them (locked, SKIP LOCKED where the database has it). The fire's trigger, its run and the clock's
 * next fire time commit together, so a fire is neither lost (the clock moves only with it) nor doubled (its
 * messageId is derived from the definition and the fire time, and deduplicated like any message).
 * The loop sleeps until the soonest fire known, at most `idleMs`; a QUEUED fire starts within `idleMs` of the
 * end of the run it waited for.
 */
@Injectable()
export class ScheduleFirer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Schedules');
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(SystemTriggers) private readonly triggers: SystemTriggers,
    @Inject(SCHEDULER_CONFIG) private readonly config: Pick<SchedulerConfig, 'schedules' | 'runWorkers' | 'lanes'>,
    @Optional() @Inject(GROUP_CANCELLER) private readonly canceller?: GroupCanceller,
    @Optional() @Inject(SCHEDULE_OBSERVER) private readonly observer?: ScheduleObserver,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runWorkers) return;
    this.running = true;
    this.loop = this.run();
  }

  async onModuleDestroy(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  /** Looks again now (a schedule saved or resumed here); queued fires are looked at every `idleMs` at most. */
  wake(): void {
    clearTimeout(this.timer);
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let waitMs = this.config.schedules.idleMs;
      try {
        waitMs = Math.min(waitMs, await this.runOnce());
      } catch (err) {
        this.logger.warn(`Firing schedules failed: ${(err as Error).message}`);
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        this.timer = setTimeout(resolve, Math.max(0, waitMs));
      });
      this.wakeUp = undefined;
    }
  }

  /**
   * One pass: fires what is due (on PostgreSQL, what is due within the lead, each committed at its time), starts
   * queued fires whose definition's run ended; answers ms until the loop should look again.
   */
  async runOnce(): Promise<number> {
    const { batch } = this.config.schedules;
    const lead = this.leadMs();
    for (let round = 0; round < 100; round++) {
      const now = this.clock();
      const passes = await this.firePasses(now + lead, batch);
      if (!passes.some((p) => p.taken)) break;
      const committedAt = this.clock();
      for (const pass of passes) {
        this.observer?.firesCommitted(pass.scheduled, committedAt);
        this.triggers.started(plansOf(pass.written));
        for (const id of pass.cancel)
          await this.canceller?.cancelGroup(id, SCHEDULER_ACTOR).catch((err: Error) => {
            this.logger.warn(`Cancelling group run ${id} for a REPLACE overlap failed: ${err.message}`);
          });
      }
      if (passes.every((p) => p.taken < batch)) break;
    }
    const soonest = await this.db.run((em) =>
      em
        .getRepository(ScheduleEntity)
        .createQueryBuilder('s')
        .select('MIN(s.nextFireAt)', 'at')
        .where('s.pausedAt IS NULL')
        .getRawOne<{ at: string | number | null }>(),
    );
    const at = soonest?.at === null || soonest?.at === undefined ? Number.POSITIVE_INFINITY : Number(soonest.at);
    return at - lead - this.clock();
  }

  /**
   * How far ahead a pass writes its fires. PostgreSQL only: the pass's transaction stays open until the fires' time,
   * holding only its schedule rows (SKIP LOCKED elsewhere); SQLite's one writer would wait for it.
   */
  private leadMs(): number {
    return this.db.type === 'postgres' ? this.config.schedules.leadMs : 0;
  }

  /**
   * The passes of one round, for the fires due by `until`, each pass its own transaction. On PostgreSQL, `lanes` of
   * them side by side, each locking up to `batch` due rows in the statement that finds them (SKIP LOCKED: disjoint
   * rows, here and on other instances). Elsewhere, the due rows are read, then locked (a row another instance fired
   * meanwhile is no longer due when read again under its lock).
   */
  private async firePasses(until: number, batch: number): Promise<Pass[]> {
    if (this.db.type === 'postgres')
      return Promise.all(
        Array.from({ length: this.config.lanes }, () =>
          this.db.tx(async (em) => this.fire(em, await lockDue(em, until, batch), until)),
        ),
      );
    const due = await this.db.run((em) =>
      em.getRepository(ScheduleEntity).find({
        select: { definitionId: true },
        where: [
          { pausedAt: IsNull(), nextFireAt: LessThanOrEqual(until) },
          { pausedAt: IsNull(), queued: Not(IsNull()) },
        ],
        order: { nextFireAt: 'ASC' },
        take: batch,
      }),
    );
    if (!due.length) return [];
    const ids = due.map((d) => d.definitionId);
    return [await this.db.tx(async (em) => this.fire(em, await lockSchedules(this.db, em, ids), until))];
  }

  /**
   * Fires the given locked schedules that are due by `now` (another instance may have fired them before the lock).
   * A pass that runs ahead of its fires (`now` is later than the clock) commits no earlier than their time.
   */
  private async fire(em: EntityManager, rows: ScheduleEntity[], now: number): Promise<Pass> {
    if (!rows.length) return { written: [], cancel: [], scheduled: [], taken: 0 };
    const defs = await definitionsOf(em, rows);
    const calendars = await calendarsOf(em, [...defs.values()]);
    const live = await liveRunsOf(em, [...defs.values()]);
    const fires: SystemFire[] = [];
    /** Each fire's scheduled time, by its index in `fires`. */
    const fireTimes: number[] = [];
    const pass: Pass = { written: [], cancel: [], scheduled: [], taken: rows.length };
    const updates: Array<{ row: ScheduleEntity; changes: Partial<ScheduleEntity>; queueing: string[] }> = [];
    for (const row of rows) {
      const def = defs.get(row.definitionId);
      const schedule = (def?.spec as DefinitionSpec | undefined)?.schedule;
      if (!def || !schedule || def.archivedAt !== null) {
        await em.delete(ScheduleEntity, { definitionId: row.definitionId });
        continue;
      }
      const calendar = schedule.calendar ? calendars.get(schedule.calendar) : undefined;
      const queued = [...(row.queued ?? [])];
      const changes: Partial<ScheduleEntity> = {};
      /** The messageIds of this pass's fires held QUEUED: kept in the row by their trigger's id once written. */
      const queueing: string[] = [];
      // Queued fires first, one at a time, each once the definition's previous run has ended.
      if (queued.length && !live.has(def.id)) {
        const started = await this.triggers.startQueued(em, queued.shift()!, def, now);
        if (started) {
          pass.written.push(started);
          live.set(def.id, [started.plan!.group.id]);
        }
        changes.queued = queued.length ? queued : null;
      }
      if (row.nextFireAt !== null && row.nextFireAt <= now) {
        const plan = planDue(schedule, calendar, row.nextFireAt, now, {
          maxFires: this.config.schedules.maxMisfires,
        });
        for (const [i, s] of plan.skipped.entries()) {
          const more =
            i === plan.skipped.length - 1 && plan.skippedUnlisted ? ` (and ${plan.skippedUnlisted} more)` : '';
          fires.push(
            this.fireOf(def, schedule, calendar, s.at, now, { status: 'SKIPPED', reason: `${s.reason}${more}` }),
          );
          fireTimes.push(s.at);
        }
        for (const at of plan.fire) {
          const held =
            (await this.upstreamsMissing(em, def, businessDateOf(schedule, calendar, at))) ??
            this.overlap(schedule, def.id, live, pass);
          const f = this.fireOf(def, schedule, calendar, at, now, held);
          fires.push(f);
          fireTimes.push(at);
          if (held?.status === 'QUEUED') {
            queueing.push(f.messageId);
            changes.queued = queued;
          }
          // A fire that starts now is live for the next fire of this pass (FIRE_ALL), as for the policy.
          if (!held) live.set(def.id, [...(live.get(def.id) ?? []), THIS_PASS]);
        }
        changes.nextFireAt = plan.next;
        changes.lastFireAt = plan.fire.length ? plan.fire[plan.fire.length - 1] : row.lastFireAt;
      }
      if (Object.keys(changes).length) updates.push({ row, changes, queueing });
    }
    // A fire's trigger is received when it is stored: now, or when the pass commits, at its latest fire's time.
    const writtenAt = Math.max(this.clock(), ...fireTimes);
    for (const f of fires) f.at = writtenAt;
    const written = await this.triggers.writeMany(em, fires);
    pass.written.push(...written);
    for (const [i, w] of written.entries()) if (w && w.trigger.status !== 'SKIPPED') pass.scheduled.push(fireTimes[i]);
    // Queued fires are kept by their trigger's id (one written already by an earlier pass is kept already).
    const idByMessage = new Map(written.flatMap((w) => (w ? [[w.trigger.messageId, w.trigger.id] as const] : [])));
    for (const { changes, queueing } of updates) {
      if (queueing.length)
        changes.queued = [...(changes.queued ?? []), ...queueing.flatMap((m) => idByMessage.get(m) ?? [])];
      if (changes.queued && !changes.queued.length) changes.queued = null;
    }
    await moveClocks(this.db, em, updates, now);
    // Written ahead: the transaction commits (the fires become visible, and start) at their time, not before.
    const early = writtenAt - this.clock();
    if (early > 0) await new Promise((r) => setTimeout(r, early));
    return pass;
  }

  /**
   * A dependant's fire waits (WAITING) for its upstreams' success for the fire's business date, like a message
   * bound to it; the dependency resolver starts it once they are met. Undefined: it has none missing.
   */
  private async upstreamsMissing(
    em: EntityManager,
    def: DefinitionEntity,
    businessDate: string,
  ): Promise<SystemFire['held'] | undefined> {
    if (!(def.spec as DefinitionSpec).dependsOn?.length) return undefined;
    const gate = await dependencyGate(em, def, businessDate);
    if (gate.met) return undefined;
    return {
      status: 'WAITING',
      reason: waitingReason([{ definition: def, businessDate, missing: gate.missing }]),
    };
  }

  /** What the overlap policy makes of a fire while the definition has a live run; undefined: it starts now. */
  private overlap(
    schedule: ScheduleSpec,
    definitionId: string,
    live: Map<string, string[]>,
    pass: Pass,
  ): SystemFire['held'] | undefined {
    const running = live.get(definitionId);
    if (!running?.length) return undefined;
    switch (schedule.overlap ?? 'ALLOW') {
      case 'ALLOW':
        return undefined;
      case 'SKIP':
        return { status: 'SKIPPED', reason: `OVERLAP: group run ${running[0]} of this definition is still running` };
      case 'QUEUE':
        return { status: 'QUEUED', reason: `OVERLAP: starts when group run ${running[0]} ends` };
      case 'REPLACE':
        for (const id of running) if (id !== THIS_PASS && !pass.cancel.includes(id)) pass.cancel.push(id);
        return { status: 'QUEUED', reason: `REPLACE: starts once group run ${running[0]} is cancelled` };
    }
  }

  private fireOf(
    def: DefinitionEntity,
    schedule: ScheduleSpec,
    calendar: CalendarSpec | undefined,
    at: number,
    now: number,
    held?: SystemFire['held'],
  ): SystemFire {
    return {
      definition: def,
      source: SCHEDULE_SOURCE,
      messageId: fireMessageId(def.id, at),
      via: 'schedule',
      businessDate: businessDateOf(schedule, calendar, at),
      attributes: { scheduledAt: new Date(at).toISOString() },
      ...(held ? { held } : {}),
      at: now,
    };
  }
}

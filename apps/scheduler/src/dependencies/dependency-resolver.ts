import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { DefinitionSpec } from '#ferry/contracts';
import { Db, isUniqueViolation } from '#ferry/persistence';
import { CLOCK, type Clock } from '../core/tokens.js';
import { DefinitionReads } from '../definitions/definition-reads.js';
import { GroupSpecs } from '../groups/group-specs.js';
import type { GroupStatusChange, GroupStatusListener } from '../groups/group-listeners.js';
import type { GroupRunPlan } from '../groups/group-run.factory.js';
import {
  DefinitionEntity,
  DependencyEntity,
  DependencyWaitEntity,
  GroupRunEntity,
  TriggerEntity,
} from '../persistence/index.js';
import { DEPENDENCY_SOURCE, SystemTriggers } from '../triggers/system-triggers.js';
import { upstreamFiles, upstreamSuccesses, waitsForOwnTrigger } from './dependency-gate.js';

/** An upstream's SUCCEEDED group run, as much of it as the resolver reads. */
export type UpstreamRun = Pick<GroupRunEntity, 'id' | 'definitionName' | 'businessDate' | 'finishedAt'>;

/**
 * Fan-in: when an upstream's group run succeeds for business date D, each dependant whose upstreams all
 * have a SUCCEEDED run for D starts. One with its own trigger (a bound message, a schedule's fire) has it
 * held WAITING and started here; one with dependencies alone gets a trigger of its own, whose messageId
 * (`X@D`, or `X@D@run@finishedAt` for an EVERY_UPSTREAM_SUCCESS upstream succeeding again) makes a second
 * fire — another instance, the backstop sweep, a replayed status change — a no-op.
 */
@Injectable()
export class DependencyResolver implements GroupStatusListener {
  private readonly logger = new Logger('Dependencies');
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(SystemTriggers) private readonly triggers: Pick<SystemTriggers, 'write' | 'started' | 'startHeldRun'>,
    @Inject(GroupSpecs) private readonly specs: Pick<GroupSpecs, 'spec'>,
    @Inject(DefinitionReads) private readonly definitions: Pick<DefinitionReads, 'upstreamNames'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {}

  /** The fast path, after the upstream's recount committed; the backstop sweep covers a crash before it. */
  onGroupStatus(change: GroupStatusChange): void {
    if (change.status !== 'SUCCEEDED') return;
    const work = this.upstreamSucceeded(change.id).catch((err) =>
      this.logger.warn(`dependants of group run ${change.id}: ${(err as Error).message} (the sweep tries again)`),
    );
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Waits for the work the listener started (a stopping scheduler, before its database closes). */
  async settle(): Promise<void> {
    while (this.inFlight.size) await Promise.all(this.inFlight);
  }

  async upstreamSucceeded(groupRunId: string): Promise<number> {
    // Most runs have no dependants, or no business date to satisfy one: those read nothing (their spec is
    // cached). A dependency saved on another instance meanwhile is the sweep's to find.
    const spec = await this.specs.spec(groupRunId);
    if (spec && (!spec.businessDate || !(await this.definitions.upstreamNames()).has(spec.name))) return 0;
    const run = await this.db.run((em) =>
      em.getRepository(GroupRunEntity).findOne({
        select: { id: true, definitionName: true, businessDate: true, finishedAt: true, status: true },
        where: { id: groupRunId },
      }),
    );
    return run?.status === 'SUCCEEDED' ? this.afterSuccess(run) : 0;
  }

  /** Settles each dependant of the run's definition for its date; answers the runs started. */
  async afterSuccess(run: UpstreamRun): Promise<number> {
    // A run without a business date satisfies nothing.
    if (!run.businessDate) return 0;
    const edges = await this.db.run((em) =>
      em.getRepository(DependencyEntity).findBy({ upstreamName: run.definitionName }),
    );
    let started = 0;
    for (const edge of edges) started += await this.settleDependant(edge.definitionId, run.businessDate, { run, edge });
    return started;
  }

  /** Starts dependant `definitionId` for `date` if its upstreams are met; answers the runs started. */
  async settleDependant(definitionId: string, date: string, cause?: { run: UpstreamRun; edge: DependencyEntity }) {
    let plans: GroupRunPlan[] = [];
    try {
      plans = await this.db.tx(async (em) => {
        const x = await em.getRepository(DefinitionEntity).findOneBy({ id: definitionId });
        if (!x || x.enabled !== 1 || x.archivedAt !== null) return [];
        const runs = await upstreamSuccesses(em, x, date);
        if (((x.spec as DefinitionSpec).dependsOn ?? []).some((d) => !runs.has(d.definition))) return [];
        if (waitsForOwnTrigger(x.spec as DefinitionSpec)) return this.release(em, x, date);
        const messageId = await this.fireId(em, x, date, cause);
        if (!messageId) return [];
        const spec = x.spec as DefinitionSpec;
        const files = spec.files ?? (await upstreamFiles(em, x, runs));
        const written = await this.triggers.write(em, {
          definition: x,
          source: DEPENDENCY_SOURCE,
          messageId,
          via: 'depends',
          businessDate: date,
          files: files.length ? files : undefined,
          attributes: { upstreamRuns: Object.fromEntries([...runs].map(([name, r]) => [name, r.id])) },
          at: this.clock(),
        });
        return written?.plan ? [written.plan] : [];
      });
    } catch (err) {
      // Another instance wrote this fire (or released this trigger) first.
      if (!isUniqueViolation(err)) throw err;
    }
    this.triggers.started(plans);
    return plans.length;
  }

  /**
   * `X@D` once per date; again (`X@D@run@finishedAt`) only for an upstream whose policy is EVERY_UPSTREAM_SUCCESS
   * and whose run succeeded after that first fire (a rerun). Undefined: nothing to fire.
   */
  private async fireId(
    em: EntityManager,
    x: DefinitionEntity,
    date: string,
    cause?: { run: UpstreamRun; edge: DependencyEntity },
  ): Promise<string | undefined> {
    const base = `${x.id}@${date}`;
    const first = await em
      .getRepository(TriggerEntity)
      .findOne({ select: { id: true, receivedAt: true }, where: { source: DEPENDENCY_SOURCE, messageId: base } });
    if (!first) return base;
    const again = cause?.edge.policy === 'EVERY_UPSTREAM_SUCCESS' && (cause.run.finishedAt ?? 0) > first.receivedAt;
    return again ? `${base}@${cause.run.id}@${cause.run.finishedAt}` : undefined;
  }

  /** Starts the triggers held for X and the date: whoever deletes a wait row starts its run. */
  private async release(em: EntityManager, x: DefinitionEntity, date: string): Promise<GroupRunPlan[]> {
    const waits = await em
      .getRepository(DependencyWaitEntity)
      .find({ where: { definitionId: x.id, businessDate: date }, order: { createdAt: 'ASC' } });
    const plans: GroupRunPlan[] = [];
    for (const wait of waits) {
      const taken = await em
        .createQueryBuilder()
        .delete()
        .from(DependencyWaitEntity)
        .where({ triggerId: wait.triggerId, definitionId: x.id })
        .execute();
      if (!taken.affected) continue;
      const trigger = await em.getRepository(TriggerEntity).findOneBy({ id: wait.triggerId });
      // Purged by retention meanwhile: its wait row goes with it.
      if (!trigger) continue;
      plans.push(await this.triggers.startHeldRun(em, trigger, x, this.clock(), date));
    }
    return plans;
  }
}

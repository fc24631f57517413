import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { DefinitionSpec } from '#ferry/contracts';
import { Db } from '#ferry/persistence';
import { AlertsService } from '../alerts/alerts.service.js';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import { deadlineAt, localDate } from '../definitions/deadline.js';
import { Periodic } from '../maintenance/periodic.js';
import { DefinitionEntity, GroupRunEntity } from '../persistence/index.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { dependencyGate } from './dependency-gate.js';
import { DependencyResolver } from './dependency-resolver.js';

/** Upstream successes one pass re-checks at most, newest first (a backlog is worked off over passes). */
const RUNS_PER_PASS = 2000;
const DAY_MS = 86_400_000;

/**
 * The backstop behind the resolver's listener: re-checks the upstream successes of the last few days, so a
 * crash between an upstream's commit and its dependants' fire loses nothing (the fire's messageId makes a
 * second one a no-op, on this instance or another), and raises the OVERDUE alert of a dependant that has not
 * started for today by its cutoff, naming the upstreams it still waits for.
 */
@Injectable()
export class DependencySweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Dependencies');
  private readonly periodic = new Periodic('dependency sweep', () => this.runOnce(), this.logger);

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(DependencyResolver) private readonly resolver: Pick<DependencyResolver, 'afterSuccess'>,
    @Inject(AlertsService) private readonly alerts: Pick<AlertsService, 'raise'>,
    @Inject(SCHEDULER_CONFIG) private readonly config: Pick<SchedulerConfig, 'dependencies' | 'runWorkers'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {}

  /** Runs on instances that take work (not on API-only ones). */
  onApplicationBootstrap(): void {
    if (this.config.runWorkers) this.periodic.start(this.config.dependencies.sweepMs);
  }

  onModuleDestroy(): Promise<void> {
    return this.periodic.stop();
  }

  async runOnce(): Promise<{ started: number; overdue: number }> {
    let started = 0;
    for (const run of await this.recentSuccesses()) started += await this.resolver.afterSuccess(run);
    const overdue = await this.checkCutoffs();
    if (started) this.logger.log(`${started} dependant run(s) started by the sweep`);
    return { started, overdue };
  }

  /** SUCCEEDED runs with a business date, created within the look-back, of definitions others depend on. */
  private recentSuccesses() {
    const since = this.clock() - this.config.dependencies.lookbackDays * DAY_MS;
    return this.db.run((em) =>
      em
        .getRepository(GroupRunEntity)
        .createQueryBuilder('g')
        .select(['g.id', 'g.definitionName', 'g.businessDate', 'g.finishedAt'])
        .where('g.status = :succeeded AND g.createdAt >= :since AND g.businessDate IS NOT NULL', {
          succeeded: 'SUCCEEDED',
          since,
        })
        .andWhere('g.definitionName IN (SELECT e.upstream_name FROM definition_dependency e)')
        .orderBy('g.createdAt', 'DESC')
        .take(RUNS_PER_PASS)
        .getMany(),
    );
  }

  /**
   * Each dependant with a cutoff deadline that has no run for today (in the cutoff's zone) once the cutoff
   * passed: one OVERDUE alert per (definition, date), naming the upstreams still missing.
   */
  private async checkCutoffs(): Promise<number> {
    const now = this.clock();
    const dependants = await this.db.run((em) =>
      em
        .getRepository(DefinitionEntity)
        .createQueryBuilder('d')
        .where('d.enabled = 1 AND d.archivedAt IS NULL')
        .andWhere('d.id IN (SELECT e.definition_id FROM definition_dependency e)')
        .getMany(),
    );
    let raised = 0;
    for (const x of dependants) {
      const spec = x.spec as DefinitionSpec;
      const deadline = spec.deadline;
      if (!deadline || !('cutoff' in deadline)) continue;
      const date = localDate(now, deadline.timeZone);
      if (now < deadlineAt(deadline, now, date)!) continue;
      const { ran, gate } = await this.db.run(async (em) => ({
        ran: await em.getRepository(GroupRunEntity).existsBy({ definitionId: x.id, businessDate: date }),
        gate: await dependencyGate(em, x, date),
      }));
      if (ran) continue;
      const waitingFor = gate.met
        ? 'its upstreams are met; it waits for its own trigger'
        : `waiting for ${gate.missing.join(', ')}`;
      await this.alerts.raise({
        kind: 'OVERDUE',
        dedupKey: `OVERDUE:${x.id}@${date}`,
        onlyIfAbsent: true,
        definitionId: x.id,
        definitionName: x.name,
        settings: spec.alerts,
        message: `Not started for ${date} by its cutoff ${deadline.cutoff} (${deadline.timeZone}): ${waitingFor}`,
        detail: { businessDate: date, missing: gate.missing, deadline },
      });
      raised++;
    }
    return raised;
  }
}

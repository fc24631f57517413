import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxStore } from '#ferry/outbox';
import { Db } from '#ferry/persistence';
import { notificationKeyPrefix } from '../alerts/alerts.service.js';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import { SchedulerObservability } from '../observability/scheduler-observability.js';
import {
  AlertEntity,
  AuditEventEntity,
  GroupRunEntity,
  TaskEventEntity,
  TaskRunEntity,
  TriggerEntity,
} from '../persistence/index.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { Periodic } from './periodic.js';

export interface Purged {
  groupRuns: number;
  taskRuns: number;
  taskEvents: number;
  triggers: number;
  alerts: number;
  /** The audit events about what was purged (runs, tasks, triggers, alerts): kept as long as it, no longer. */
  auditEvents: number;
  /** The purged alerts' delivered notifications (alert_outbox). */
  alertDeliveries: number;
}

const NOTHING: Purged = {
  groupRuns: 0,
  taskRuns: 0,
  taskEvents: 0,
  triggers: 0,
  alerts: 0,
  auditEvents: 0,
  alertDeliveries: 0,
};

const DAY_MS = 86_400_000;
/** Batches per kind and pass: a long backlog (a first pass over years) is worked off over several passes. */
const BATCHES_PER_PASS = 50;

/**
 * Purges what is older than FERRY_RETENTION_DAYS, in bounded batches (one transaction each): finished
 * group runs with their tasks and events (a RUNNING group is kept whatever its age), then triggers no
 * remaining group run refers to, then alerts no longer OPEN last raised before the cutoff (their
 * notifications settled long before: deliveries give up within minutes). The audit events about each
 * purged object, and a purged alert's delivered notifications, go in the same batch; the audit events
 * about definitions, auth profiles and users are never purged here. Each pass logs its counts and adds
 * them to `ferry_scheduler_retention_purged_total`.
 */
@Injectable()
export class RetentionPurger implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Retention');
  private readonly periodic = new Periodic('retention', () => this.runOnce(), this.logger);

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(SCHEDULER_CONFIG) private readonly config: Pick<SchedulerConfig, 'retention' | 'runWorkers'>,
    @Inject(SchedulerObservability) private readonly o: Pick<SchedulerObservability, 'metrics'>,
    @Inject(OutboxStore) private readonly outbox: Pick<OutboxStore, 'deleteDelivered'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {}

  /** Runs on instances that take work, unless everything is kept forever (0 days). */
  onApplicationBootstrap(): void {
    if (this.config.runWorkers && this.config.retention.days > 0) this.periodic.start(this.config.retention.sweepMs);
  }

  onModuleDestroy(): Promise<void> {
    return this.periodic.stop();
  }

  async runOnce(): Promise<Purged> {
    const purged: Purged = { ...NOTHING };
    const { days, batch } = this.config.retention;
    if (days <= 0) return purged;
    const cutoff = this.clock() - days * DAY_MS;
    for (const step of [this.groupRuns, this.triggers, this.alerts]) {
      for (let round = 0; round < BATCHES_PER_PASS; round++) {
        const found = await this.db.tx((em) => step.call(this, em, cutoff, batch, purged));
        if (found < batch) break;
      }
    }
    for (const [kind, n] of Object.entries(purged)) if (n) this.o.metrics.purged.labels(kind).inc(n);
    if (Object.values(purged).some((n) => n > 0))
      this.logger.log(
        `Purged what was older than ${days} days: ${purged.groupRuns} group runs, ${purged.taskRuns} task runs, ` +
          `${purged.taskEvents} task events, ${purged.triggers} triggers, ${purged.alerts} alerts ` +
          `(${purged.alertDeliveries} delivered notifications), ${purged.auditEvents} audit events`,
      );
    return purged;
  }

  /** One batch of finished group runs (locked, so a concurrent recount or rerun waits) with their tasks and events. */
  private async groupRuns(em: EntityManager, cutoff: number, batch: number, purged: Purged): Promise<number> {
    const groups = await this.db
      .lockForWrite(
        em
          .getRepository(GroupRunEntity)
          .createQueryBuilder('g')
          .select('g.id')
          .where('g.createdAt < :cutoff AND g.status <> :running', { cutoff, running: 'RUNNING' })
          .andWhere('(g.finishedAt IS NULL OR g.finishedAt < :cutoff)', { cutoff })
          .orderBy('g.createdAt', 'ASC')
          .take(batch),
      )
      .getMany();
    if (!groups.length) return 0;
    const ids = groups.map((g) => g.id);
    // The audit events first: those about the tasks are found through the tasks, still there.
    const audit = await em
      .createQueryBuilder()
      .delete()
      .from(AuditEventEntity)
      .where(
        "(object_type = 'group-run' AND object_id IN (:...ids)) OR (object_type = 'task-run' AND object_id IN " +
          '(SELECT t.id FROM task_run t WHERE t.group_run_id IN (:...ids)))',
        { ids },
      )
      .execute();
    const events = await em
      .createQueryBuilder()
      .delete()
      .from(TaskEventEntity)
      .where('task_run_id IN (SELECT t.id FROM task_run t WHERE t.group_run_id IN (:...ids))', { ids })
      .execute();
    const tasks = await em
      .createQueryBuilder()
      .delete()
      .from(TaskRunEntity)
      .where('group_run_id IN (:...ids)', { ids })
      .execute();
    const runs = await em
      .createQueryBuilder()
      .delete()
      .from(GroupRunEntity)
      .where('id IN (:...ids)', { ids })
      .execute();
    purged.taskEvents += events.affected ?? 0;
    purged.taskRuns += tasks.affected ?? 0;
    purged.groupRuns += runs.affected ?? 0;
    purged.auditEvents += audit.affected ?? 0;
    return groups.length;
  }

  /** Triggers received before the cutoff that no remaining group run refers to (a RUNNING one keeps its trigger). */
  private async triggers(em: EntityManager, cutoff: number, batch: number, purged: Purged): Promise<number> {
    const rows = await em
      .getRepository(TriggerEntity)
      .createQueryBuilder('t')
      .select('t.id')
      .where('t.receivedAt < :cutoff', { cutoff })
      .andWhere('NOT EXISTS (SELECT 1 FROM group_run g WHERE g.trigger_id = t.id)')
      .orderBy('t.receivedAt', 'ASC')
      .take(batch)
      .getMany();
    if (!rows.length) return 0;
    const ids = rows.map((t) => t.id);
    const res = await em.createQueryBuilder().delete().from(TriggerEntity).where('id IN (:...ids)', { ids }).execute();
    purged.triggers += res.affected ?? 0;
    purged.auditEvents += await this.auditAbout(em, 'trigger', ids);
    return rows.length;
  }

  /** Acknowledged or resolved alerts last raised before the cutoff; an OPEN one waits for an operator. */
  private async alerts(em: EntityManager, cutoff: number, batch: number, purged: Purged): Promise<number> {
    const rows = await em
      .getRepository(AlertEntity)
      .createQueryBuilder('a')
      .select('a.id')
      .where('a.lastAt < :cutoff AND a.status <> :open', { cutoff, open: 'OPEN' })
      .orderBy('a.lastAt', 'ASC')
      .take(batch)
      .getMany();
    if (!rows.length) return 0;
    const ids = rows.map((a) => a.id);
    const res = await em.createQueryBuilder().delete().from(AlertEntity).where('id IN (:...ids)', { ids }).execute();
    purged.alerts += res.affected ?? 0;
    purged.auditEvents += await this.auditAbout(em, 'alert', ids);
    purged.alertDeliveries += await this.outbox.deleteDelivered(em, ids.map(notificationKeyPrefix));
    return rows.length;
  }

  /** Deletes the audit events about these objects (by ix_audit_object); answers how many. */
  private async auditAbout(em: EntityManager, objectType: 'trigger' | 'alert', ids: string[]): Promise<number> {
    const res = await em
      .createQueryBuilder()
      .delete()
      .from(AuditEventEntity)
      .where('object_type = :objectType AND object_id IN (:...ids)', { objectType, ids })
      .execute();
    return res.affected ?? 0;
  }
}

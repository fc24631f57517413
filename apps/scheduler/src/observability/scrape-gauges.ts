import type { Queue } from 'bullmq';
import { Gauge, type Logger, type Registry } from '#ferry/observability';
import type { Db } from '#ferry/persistence';
import { AlertEntity, GroupRunEntity, TaskRunEntity } from '../persistence/index.js';
import { IN_FLIGHT_STATUSES, LIVE_STATUSES } from '../tasks/task-status.js';

interface Snapshot {
  tasks: Map<string, number>;
  groupsRunning: number;
  overdueTasks: number;
  overdueGroups: number;
  oldestSilentAt: number | null;
  alerts: Array<{ kind: string; status: string; n: number }>;
  queues: Array<{ queue: string; counts: Record<string, number> }>;
}

const QUEUE_STATES = ['waiting', 'delayed', 'active', 'failed', 'prioritized'] as const;

/**
 * State gauges, read when Prometheus scrapes: a few GROUP BY / MIN queries over live rows only
 * (the status index keeps them off the history) and BullMQ's job counts. One snapshot serves
 * every gauge of a scrape; the database is the truth, so every instance reports the same values.
 */
export class ScrapeGauges {
  private pending?: { at: number; snapshot: Promise<Snapshot> };

  constructor(
    registry: Registry,
    private readonly db: Db,
    private readonly queues: Queue[],
    private readonly logger: Logger,
    clock = Date.now,
  ) {
    const registers = [registry];
    const snap = () => this.snapshot();
    new Gauge({
      name: 'ferry_scheduler_task_runs_live',
      help: 'Live task runs by status',
      labelNames: ['status'],
      registers,
      async collect() {
        const s = await snap();
        for (const st of LIVE_STATUSES) this.labels(st).set(s.tasks.get(st) ?? 0);
      },
    });
    new Gauge({
      name: 'ferry_scheduler_group_runs_live',
      help: 'Group runs still RUNNING',
      registers,
      async collect() {
        this.set((await snap()).groupsRunning);
      },
    });
    new Gauge({
      name: 'ferry_scheduler_overdue_runs',
      help: 'Live runs past their deadline, by kind (task, group)',
      labelNames: ['kind'],
      registers,
      async collect() {
        const s = await snap();
        this.labels('task').set(s.overdueTasks);
        this.labels('group').set(s.overdueGroups);
      },
    });
    new Gauge({
      name: 'ferry_scheduler_oldest_silent_task_age_seconds',
      help: 'Age of the in-flight task with the oldest news (dispatch or last report); 0 when none',
      registers,
      async collect() {
        const at = (await snap()).oldestSilentAt;
        this.set(at === null ? 0 : Math.max(0, (clock() - at) / 1000));
      },
    });
    new Gauge({
      name: 'ferry_scheduler_open_alerts',
      help: 'Alerts not yet resolved, by kind and status (OPEN, ACKNOWLEDGED)',
      labelNames: ['kind', 'status'],
      registers,
      async collect() {
        this.reset();
        for (const a of (await snap()).alerts) this.labels(a.kind, a.status).set(a.n);
      },
    });
    new Gauge({
      name: 'ferry_queue_jobs',
      help: 'BullMQ jobs by queue and state',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        for (const q of (await snap()).queues)
          for (const st of QUEUE_STATES) this.labels(q.queue, st).set(q.counts[st] ?? 0);
      },
    });
  }

  private snapshot(): Promise<Snapshot> {
    const now = Date.now();
    if (!this.pending || now - this.pending.at > 1000) this.pending = { at: now, snapshot: this.read() };
    return this.pending.snapshot;
  }

  private async read(): Promise<Snapshot> {
    const [db, queues] = await Promise.all([
      this.readDb().catch((err) => {
        this.logger.warn({ err: (err as Error).message }, 'metrics: database snapshot failed');
        return undefined;
      }),
      Promise.all(
        this.queues.map(async (q) => ({ queue: q.name, counts: await q.getJobCounts(...QUEUE_STATES) })),
      ).catch(() => []),
    ]);
    return {
      tasks: new Map(),
      groupsRunning: 0,
      overdueTasks: 0,
      overdueGroups: 0,
      oldestSilentAt: null,
      alerts: [],
      ...db,
      queues,
    };
  }

  private readDb() {
    return this.db.run(async (em) => {
      const tasks = em.getRepository(TaskRunEntity);
      const byStatus: Array<{ status: string; n: string | number }> = await tasks
        .createQueryBuilder('t')
        .select('t.status', 'status')
        .addSelect('COUNT(*)', 'n')
        .where('t.status IN (:...live)', { live: LIVE_STATUSES })
        .groupBy('t.status')
        .getRawMany();
      const overdue = await tasks
        .createQueryBuilder('t')
        .where('t.status IN (:...live) AND t.overdue = 1', { live: LIVE_STATUSES })
        .getCount();
      const oldest: { at: string | number | null } | undefined = await tasks
        .createQueryBuilder('t')
        .select('MIN(COALESCE(t.reportedAt, t.dispatchedAt))', 'at')
        .where('t.status IN (:...inflight)', { inflight: IN_FLIGHT_STATUSES })
        .getRawOne();
      const groups = em.getRepository(GroupRunEntity);
      const groupsRunning = await groups.createQueryBuilder('g').where('g.status = :s', { s: 'RUNNING' }).getCount();
      const overdueGroups = await groups
        .createQueryBuilder('g')
        .where('g.status = :s AND g.overdue = 1', { s: 'RUNNING' })
        .getCount();
      const alerts: Array<{ kind: string; status: string; n: string | number }> = await em
        .getRepository(AlertEntity)
        .createQueryBuilder('a')
        .select('a.kind', 'kind')
        .addSelect('a.status', 'status')
        .addSelect('COUNT(*)', 'n')
        .where('a.status IN (:...open)', { open: ['OPEN', 'ACKNOWLEDGED'] })
        .groupBy('a.kind')
        .addGroupBy('a.status')
        .getRawMany();
      return {
        tasks: new Map(byStatus.map((r) => [r.status, Number(r.n)])),
        groupsRunning,
        overdueTasks: overdue,
        overdueGroups,
        oldestSilentAt: oldest?.at === null || oldest?.at === undefined ? null : Number(oldest.at),
        alerts: alerts.map((a) => ({ kind: a.kind, status: a.status, n: Number(a.n) })),
      };
    });
  }
}

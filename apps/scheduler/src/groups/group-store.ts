import type { EntityManager } from 'typeorm';
import type { Db } from '#ferry/persistence';
import { DefinitionEntity, GroupRunEntity, TaskRunEntity } from '../persistence/index.js';
import { pgPool, planGuard } from '../persistence/plan-guard.js';
import { COUNTER_BY_STATUS, type GroupCounters, type GroupSpec, groupStatusOf } from './group-status.js';

/**
 * How long task moves gather before their groups are recounted: one pass then covers every group
 * they touched (up to 200 per transaction), so a busy instance recounts each group a few times a
 * second at most instead of after every batch. Group status and counts lag the tasks by about this much.
 */
const REFRESH_DELAY_MS = 50;

export interface GroupInfo {
  id: string;
  runMode: 'SYNC' | 'ASYNC';
  spec: GroupSpec;
}

/**
 * Group runs: their immutable spec (cached: it never changes after creation) and their task
 * counters, moved in the same transaction as the task moves that change them.
 */
export class GroupStore {
  private readonly specs = new Map<string, GroupInfo>();
  private readonly enabled = new Map<string, { enabled: boolean; at: number }>();

  private readonly dirty = new Set<string>();
  private refreshing?: Promise<void>;
  onStatusChange?: (change: { id: string; status: string }) => void;

  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Keeps a group's spec (bounded); a group run created here needs no read when first dispatched. */
  remember(info: GroupInfo): void {
    if (this.specs.size > 20000) this.specs.delete(this.specs.keys().next().value!);
    this.specs.set(info.id, info);
  }

  async info(em: EntityManager | undefined, ids: string[]): Promise<Map<string, GroupInfo>> {
    // Hits are taken before the read: a busy instance may evict them meanwhile.
    const found = new Map<string, GroupInfo>();
    for (const id of ids) if (this.specs.has(id)) found.set(id, this.specs.get(id)!);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) {
      const rows = await (em ?? this.db.dataSource.manager)
        .getRepository(GroupRunEntity)
        .createQueryBuilder('g')
        .select(['g.id', 'g.runMode', 'g.spec'])
        .where('g.id IN (:...missing)', { missing })
        .getMany();
      for (const r of rows) {
        const info: GroupInfo = { id: r.id, runMode: r.runMode as 'SYNC' | 'ASYNC', spec: r.spec as GroupSpec };
        this.remember(info);
        found.set(r.id, info);
      }
    }
    return found;
  }

  /** Whether the definition is paused; cached for a second so hot paths don't read it per task. */
  async isPaused(em: EntityManager, definitionId: string, now: number): Promise<boolean> {
    const hit = this.enabled.get(definitionId);
    if (hit && now - hit.at < 1000) return !hit.enabled;
    const row = await em
      .getRepository(DefinitionEntity)
      .findOne({ where: { id: definitionId }, select: { id: true, enabled: true } });
    const enabled = row ? row.enabled === 1 : true;
    this.enabled.set(definitionId, { enabled, at: now });
    return !enabled;
  }

  /**
   * Recomputes groups' counts and status from their tasks after the task moves committed, so the
   * hot group row is never locked inside the task transactions. Dirty groups are collected and
   * refreshed by one loop, many groups per transaction; the group row lock serialises refreshes of
   * one group across instances, so the last one always sees the final state.
   */
  refreshLater(ids: string[]): void {
    for (const id of ids) this.dirty.add(id);
    if (!this.refreshing && this.dirty.size) {
      this.refreshing = new Promise((resolve) =>
        setTimeout(() => void this.drainRefreshes().then(resolve), REFRESH_DELAY_MS),
      );
    }
  }

  /** Waits for the refreshes already asked for (a stopping scheduler, before its database closes). */
  async settle(): Promise<void> {
    while (this.refreshing) await this.refreshing;
  }

  private async drainRefreshes(): Promise<void> {
    while (this.dirty.size) {
      const ids = [...this.dirty].sort().slice(0, 200);
      for (const id of ids) this.dirty.delete(id);
      // A failure is left for the reconciler, which refreshes every RUNNING group whose tasks are all done.
      await this.refreshMany(ids).catch(() => undefined);
      // Moves that came meanwhile gather a while longer, unless this pass left a backlog to work off.
      if (this.dirty.size > 0 && this.dirty.size < 200) await new Promise((r) => setTimeout(r, REFRESH_DELAY_MS));
    }
    this.refreshing = undefined;
  }

  async refresh(id: string): Promise<{ id: string; status: string } | undefined> {
    return (await this.refreshMany([id]))[0];
  }

  /** Recounts the groups and writes what moved; every status change is announced (onStatusChange) once committed. */
  async refreshMany(ids: string[]): Promise<Array<{ id: string; status: string }>> {
    const changes = await this.recount(ids);
    for (const change of changes) this.onStatusChange?.(change);
    return changes;
  }

  private async recount(ids: string[]): Promise<Array<{ id: string; status: string }>> {
    if (this.db.type === 'postgres') return this.recountPg(ids);
    return this.db.tx(async (em) => {
      const repo = em.getRepository(GroupRunEntity);
      const qb = repo
        .createQueryBuilder('g')
        .select([
          'g.id',
          'g.status',
          'g.tasksTotal',
          'g.tasksSucceeded',
          'g.tasksFailed',
          'g.tasksCancelled',
          'g.tasksSkipped',
          'g.finishedAt',
        ])
        .where('g.id IN (:...ids)', { ids })
        .orderBy('g.id');
      if (this.db.type !== 'sqlite') qb.setLock('pessimistic_write');
      const groups = await qb.getMany();
      const rows: Array<{ g: string; status: string; n: string | number }> = await em
        .getRepository(TaskRunEntity)
        .createQueryBuilder('t')
        .select('t.groupRunId', 'g')
        .addSelect('t.status', 'status')
        .addSelect('COUNT(*)', 'n')
        .where('t.groupRunId IN (:...ids)', { ids })
        .groupBy('t.groupRunId')
        .addGroupBy('t.status')
        .getRawMany();
      const now = this.clock();
      const { updates, changes } = this.moved(groups, rows, now);
      for (const { id, tasksTotal: _t, ...set } of updates) {
        await repo
          .createQueryBuilder()
          .update()
          .set({ ...set, updatedAt: now, version: () => `${em.connection.driver.escape('version')} + 1` })
          .where({ id })
          .execute();
      }
      return changes;
    });
  }

  /**
   * PostgreSQL: the same three steps on a pool client with named statements (parsed once per
   * connection), without the ORM: this runs after nearly every batch of callbacks.
   */
  private async recountPg(ids: string[]): Promise<Array<{ id: string; status: string }>> {
    const pool = pgPool(this.db.dataSource);
    const client = await pool.connect();
    const plans = planGuard(pool);
    try {
      await client.query('BEGIN');
      // Locked first, counted after: the count then sees every task move committed before the lock was granted.
      const groups = (
        await client.query({ name: plans.name('ferry_group_lock'), text: LOCK_GROUPS_SQL, values: [ids] })
      ).rows.map((r) => ({
        id: r.id as string,
        status: r.status as string,
        tasksTotal: r.tasks_total as number,
        tasksSucceeded: r.tasks_succeeded as number,
        tasksFailed: r.tasks_failed as number,
        tasksCancelled: r.tasks_cancelled as number,
        tasksSkipped: r.tasks_skipped as number,
        finishedAt: r.finished_at === null ? null : Number(r.finished_at),
      }));
      const rows = (
        await client.query({ name: plans.name('ferry_group_counts'), text: COUNT_TASKS_SQL, values: [ids] })
      ).rows as Array<{ g: string; status: string; n: number }>;
      const now = this.clock();
      const { updates, changes } = this.moved(groups, rows, now);
      if (updates.length) {
        // One statement for every changed group (the rows are locked above).
        await client.query({
          name: plans.name('ferry_group_update'),
          text: UPDATE_GROUPS_SQL,
          values: [
            updates.map((u) => u.id),
            updates.map((u) => u.tasksSucceeded),
            updates.map((u) => u.tasksFailed),
            updates.map((u) => u.tasksCancelled),
            updates.map((u) => u.tasksSkipped),
            updates.map((u) => u.status),
            updates.map((u) => u.finishedAt),
            now,
          ],
        });
      }
      await client.query('COMMIT');
      return changes;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** The groups whose counts or status differ from what their tasks say. */
  private moved(groups: GroupCountsRow[], rows: Array<{ g: string; status: string; n: string | number }>, now: number) {
    const changes: Array<{ id: string; status: string }> = [];
    const updates: Array<GroupCounters & { id: string; status: string; finishedAt: number | null }> = [];
    for (const g of groups) {
      const counters: GroupCounters = {
        tasksTotal: g.tasksTotal,
        tasksSucceeded: 0,
        tasksFailed: 0,
        tasksCancelled: 0,
        tasksSkipped: 0,
      };
      for (const r of rows) {
        const key = r.g === g.id ? COUNTER_BY_STATUS[r.status] : undefined;
        if (key) counters[key] = Number(r.n);
      }
      const status = groupStatusOf(counters);
      const same =
        status === g.status &&
        (['tasksSucceeded', 'tasksFailed', 'tasksCancelled', 'tasksSkipped'] as const).every(
          (k) => counters[k] === g[k],
        );
      if (same) continue;
      const finishedAt = status === 'RUNNING' ? null : (g.finishedAt ?? now);
      updates.push({ id: g.id, ...counters, status, finishedAt });
      if (status !== g.status) changes.push({ id: g.id, status });
    }
    return { updates, changes };
  }
}

type GroupCountsRow = GroupCounters & { id: string; status: string; finishedAt: number | null };

const LOCK_GROUPS_SQL = `SELECT id, status, tasks_total, tasks_succeeded, tasks_failed, tasks_cancelled,
    tasks_skipped, finished_at
  FROM group_run WHERE id = ANY($1::varchar[]) ORDER BY id FOR UPDATE`;
const COUNT_TASKS_SQL = `SELECT group_run_id AS g, status, count(*)::int AS n FROM task_run
  WHERE group_run_id = ANY($1::varchar[]) GROUP BY group_run_id, status`;
const UPDATE_GROUPS_SQL = `UPDATE group_run g
  SET tasks_succeeded = v.s, tasks_failed = v.f, tasks_cancelled = v.c, tasks_skipped = v.k, status = v.status,
    finished_at = v.finished_at, updated_at = $8, version = g.version + 1
  FROM unnest($1::varchar[], $2::int[], $3::int[], $4::int[], $5::int[], $6::varchar[], $7::numeric[])
    AS v(id, s, f, c, k, status, finished_at)
  WHERE g.id = v.id`;

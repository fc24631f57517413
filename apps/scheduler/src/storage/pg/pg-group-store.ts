import type { Db } from '#ferry/persistence';
import type { GroupStatusChange } from '../../groups/group-listeners.js';
import { recountMoves } from '../../groups/group-status.js';
import type { GroupInfo, GroupStore } from '../../groups/group-store.js';
import { OrmGroupStore } from '../orm/orm-group-store.js';
import type { Tx } from '../tx.js';
import { pgPool, planGuard } from './plan-guard.js';

/**
 * PostgreSQL: the recount (after nearly every batch of callbacks) runs on a pool client with named
 * statements, parsed once per connection, without the ORM; the rarer reads go through TypeORM.
 */
export class PgGroupStore implements GroupStore {
  private readonly orm: OrmGroupStore;

  constructor(private readonly db: Db) {
    this.orm = new OrmGroupStore(db);
  }

  info(tx: Tx | undefined, ids: string[]): Promise<GroupInfo[]> {
    return this.orm.info(tx, ids);
  }

  isEnabled(tx: Tx | undefined, definitionId: string): Promise<boolean> {
    return this.orm.isEnabled(tx, definitionId);
  }

  async recount(ids: string[], now: number): Promise<GroupStatusChange[]> {
    const pool = pgPool(this.db.dataSource);
    const client = await pool.connect();
    const plans = planGuard(pool);
    try {
      await client.query('BEGIN');
      // Locked first, counted after: the count then sees every task move committed before the lock was granted.
      const locked = await client.query({ name: plans.name('ferry_group_lock'), text: LOCK_GROUPS_SQL, values: [ids] });
      const groups = locked.rows.map((r) => ({
        id: r.id as string,
        status: r.status as string,
        tasksTotal: r.tasks_total as number,
        tasksSucceeded: r.tasks_succeeded as number,
        tasksFailed: r.tasks_failed as number,
        tasksCancelled: r.tasks_cancelled as number,
        tasksSkipped: r.tasks_skipped as number,
        finishedAt: r.finished_at === null ? null : Number(r.finished_at),
      }));
      const counted = await client.query({
        name: plans.name('ferry_group_counts'),
        text: COUNT_TASKS_SQL,
        values: [ids],
      });
      const { updates, changes } = recountMoves(
        groups,
        counted.rows as Array<{ g: string; status: string; n: number }>,
        now,
      );
      if (updates.length) {
        // One statement for every changed group (the rows are locked above).
        const column = <K extends keyof (typeof updates)[number]>(k: K) => updates.map((u) => u[k]);
        await client.query({
          name: plans.name('ferry_group_update'),
          text: UPDATE_GROUPS_SQL,
          values: [
            column('id'),
            column('tasksSucceeded'),
            column('tasksFailed'),
            column('tasksCancelled'),
            column('tasksSkipped'),
            column('status'),
            column('finishedAt'),
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
}

const LOCK_GROUPS_SQL = `SELECT id, status, tasks_total, tasks_succeeded, tasks_failed, tasks_cancelled, tasks_skipped,
    finished_at
  FROM group_run WHERE id = ANY($1::varchar[]) ORDER BY id FOR UPDATE`;
const COUNT_TASKS_SQL = `SELECT group_run_id AS g, status, count(*)::int AS n FROM task_run
  WHERE group_run_id = ANY($1::varchar[]) GROUP BY group_run_id, status`;
const UPDATE_GROUPS_SQL = `UPDATE group_run g SET tasks_succeeded = v.s, tasks_failed = v.f, tasks_cancelled = v.c,
    tasks_skipped = v.k, status = v.status, finished_at = v.finished_at, updated_at = $8, version = g.version + 1
  FROM unnest($1::varchar[], $2::int[], $3::int[], $4::int[], $5::int[], $6::varchar[], $7::numeric[])
    AS v(id, s, f, c, k, status, finished_at)
  WHERE g.id = v.id`;

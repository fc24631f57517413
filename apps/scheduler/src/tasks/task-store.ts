import { timeOrderedId } from '#ferry/persistence';
import type { EntityManager } from 'typeorm';
import { TaskEventEntity, TaskRunEntity } from '../persistence/index.js';
import { pgCommit, pgInsertTasks, pgLoadTasks } from './task-store.pg.js';
import { LIVE_STATUSES, type TaskEventDraft, type TaskRow } from './task-status.js';

const CHUNK = 200;

/** The task store (port); the storage module picks the adapter for the database. */
export const TASK_STORE = Symbol('TASK_STORE');

/**
 * Reads and writes task rows. PostgreSQL gets set-based statements (one round trip for a whole
 * batch); SQLite and Oracle go through TypeORM's query builder row by row inside the same transaction.
 */
export class TaskStore {
  constructor(private readonly postgres: boolean) {}

  async load(em: EntityManager, ids: string[]): Promise<Map<string, TaskRow>> {
    if (ids.length === 0) return new Map();
    const rows = this.postgres
      ? await pgLoadTasks(em, ids)
      : ((await em
          .getRepository(TaskRunEntity)
          .createQueryBuilder('t')
          .where('t.id IN (:...ids)', { ids })
          .getMany()) as unknown as TaskRow[]);
    return new Map(rows.map((r) => [r.id, r]));
  }

  async loadWhere(em: EntityManager, where: string, params: Record<string, unknown>): Promise<TaskRow[]> {
    return (await em
      .getRepository(TaskRunEntity)
      .createQueryBuilder('t')
      .where(where, params)
      .orderBy('t.seq', 'ASC')
      .getMany()) as unknown as TaskRow[];
  }

  /**
   * Writes the changed rows and their events, all or nothing: answers false (writing nothing) if any
   * row's version is no longer the one read. Runs inside a transaction except on PostgreSQL, where it
   * is one statement.
   */
  async commit(
    em: EntityManager,
    rows: Array<{ row: TaskRow; expectedVersion: number; before?: TaskRow }>,
    events: TaskEventDraft[],
  ): Promise<boolean> {
    if (rows.length === 0 && events.length === 0) return true;
    // Time-ordered ids: each insert lands at the right edge of the primary key's index, not at a random page.
    const withIds = events.map((e) => ({ id: timeOrderedId(), ...e, detail: e.detail ?? null }));
    if (this.postgres) return pgCommit(em, rows, withIds);
    // Elsewhere row by row inside the caller's transaction, which a lost race rolls back.
    for (const { row, expectedVersion } of rows) {
      const { id, version: _v, createdAt: _c, groupRunId: _g, seq: _s, file: _f, ...mutable } = row;
      const res = await em
        .createQueryBuilder()
        .update(TaskRunEntity)
        .set({ ...mutable, version: expectedVersion + 1 } as object)
        .where({ id, version: expectedVersion })
        .execute();
      if (!res.affected) return false;
    }
    for (let i = 0; i < withIds.length; i += CHUNK)
      await em.insert(TaskEventEntity, withIds.slice(i, i + CHUNK) as object[]);
    return true;
  }

  async insertTasks(em: EntityManager, rows: TaskRow[]): Promise<void> {
    if (this.postgres) return pgInsertTasks(em, rows);
    for (let i = 0; i < rows.length; i += CHUNK) await em.insert(TaskRunEntity, rows.slice(i, i + CHUNK) as object[]);
  }

  /** A group's live tasks as the database has them now. */
  async live(em: EntityManager, groupRunId: string): Promise<TaskRow[]> {
    return (await em
      .getRepository(TaskRunEntity)
      .createQueryBuilder('t')
      .where('t.groupRunId = :groupRunId AND t.status IN (:...live)', { groupRunId, live: LIVE_STATUSES })
      .getMany()) as unknown as TaskRow[];
  }

  /**
   * A group's tasks that are ready to be sent, in file order. Read by the group's index alone and
   * filtered here: with the status in the query, a planner without fresh statistics intersects it with
   * the status index, whose PENDING entries (every waiting task of every group) grow with the backlog.
   */
  async readyIds(em: EntityManager, groupRunId: string): Promise<string[]> {
    const rows: Array<{ id: string; status: string; ready: unknown }> = await em
      .getRepository(TaskRunEntity)
      .createQueryBuilder('t')
      .select('t.id', 'id')
      .addSelect('t.status', 'status')
      .addSelect('t.readyAt', 'ready')
      .where('t.groupRunId = :groupRunId', { groupRunId })
      .orderBy('t.seq')
      .getRawMany();
    return rows.filter((t) => t.status === 'PENDING' && t.ready !== null).map((t) => t.id);
  }
}

import { timeOrderedId } from '#ferry/persistence';
import { type EntityManager, MoreThan } from 'typeorm';
import { TaskEventEntity, TaskRunEntity } from '../persistence/index.js';
import { pgCommit, pgInsertTasks, pgLoadTasks } from './task-store.pg.js';
import type { SiblingScope } from './sync-cascade.js';
import { mutableOf, type TaskRow } from './task-row.js';
import type { TaskEventDraft } from './task-status.js';

const CHUNK = 200;

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
      : await em.getRepository(TaskRunEntity).createQueryBuilder('t').where('t.id IN (:...ids)', { ids }).getMany();
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** The siblings of a task in its group run that `scope` names (sync-cascade.ts), in seq order. */
  async loadSiblings(
    em: EntityManager,
    groupRunId: string,
    { seq, scope }: { seq: number; scope: SiblingScope },
  ): Promise<TaskRow[]> {
    return em.find(TaskRunEntity, {
      where: { groupRunId, seq: scope === 'next' ? seq + 1 : MoreThan(seq) },
      order: { seq: 'ASC' },
    });
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
      const res = await em
        .createQueryBuilder()
        .update(TaskRunEntity)
        .set({ ...mutableOf(row), version: expectedVersion + 1 })
        .where({ id: row.id, version: expectedVersion })
        .execute();
      if (!res.affected) return false;
    }
    for (let i = 0; i < withIds.length; i += CHUNK)
      await em.insert(TaskEventEntity, withIds.slice(i, i + CHUNK) as object[]);
    return true;
  }

  async insertTasks(em: EntityManager, rows: TaskRow[]): Promise<void> {
    if (this.postgres) return pgInsertTasks(em, rows);
    for (let i = 0; i < rows.length; i += CHUNK) await em.insert(TaskRunEntity, rows.slice(i, i + CHUNK));
  }
}

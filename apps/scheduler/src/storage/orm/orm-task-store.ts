import type { Db } from '#ferry/persistence';
import { MoreThan } from 'typeorm';
import { TaskEventEntity, TaskRunEntity } from '../../persistence/index.js';
import type { LoadedTasks, TaskStore, TaskWrite } from '../../tasks/task-store.js';
import type { SiblingScope } from '../../tasks/sync-cascade.js';
import { mutableOf, type TaskRow } from '../../tasks/task-row.js';
import { LIVE_STATUSES, type TaskEventDraft, withIds } from '../../tasks/task-status.js';
import type { Tx } from '../tx.js';

/**
 * Task runs through TypeORM's query builder (SQLite, Oracle): every name written and quoted by
 * TypeORM; a batch's rows are written one by one inside its transaction, which a lost race rolls back.
 */
export class OrmTaskStore implements TaskStore {
  constructor(
    protected readonly db: Db,
    /** Rows per INSERT (bind-variable limits). */
    private readonly chunk: number,
  ) {}

  lanes(requested: number): number {
    return this.db.type === 'sqlite' ? 1 : requested;
  }

  unitOfWork<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.tx(work);
  }

  async load(tx: Tx, ids: string[]): Promise<LoadedTasks> {
    const rows = ids.length
      ? await tx.getRepository(TaskRunEntity).createQueryBuilder('t').where('t.id IN (:...ids)', { ids }).getMany()
      : [];
    return { rows: new Map(rows.map((r) => [r.id, r])), remembered: new Set() };
  }

  loadSiblings(tx: Tx, groupRunId: string, { seq, scope }: { seq: number; scope: SiblingScope }): Promise<TaskRow[]> {
    return tx.find(TaskRunEntity, {
      where: { groupRunId, seq: scope === 'next' ? seq + 1 : MoreThan(seq) },
      order: { seq: 'ASC' },
    });
  }

  async commit(tx: Tx, writes: TaskWrite[], events: TaskEventDraft[]): Promise<boolean> {
    if (writes.length === 0 && events.length === 0) return true;
    for (const { row, expectedVersion } of writes) {
      const res = await tx
        .createQueryBuilder()
        .update(TaskRunEntity)
        .set({ ...mutableOf(row), version: expectedVersion + 1 })
        .where({ id: row.id, version: expectedVersion })
        .execute();
      if (!res.affected) return false;
    }
    const rows = withIds(events);
    for (let i = 0; i < rows.length; i += this.chunk)
      await tx.insert(TaskEventEntity, rows.slice(i, i + this.chunk) as object[]);
    return true;
  }

  async insertTasks(tx: Tx, rows: TaskRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += this.chunk)
      await tx.insert(TaskRunEntity, rows.slice(i, i + this.chunk) as object[]);
  }

  live(groupRunId: string): Promise<TaskRow[]> {
    return this.db.run(
      async (em) =>
        (await em
          .getRepository(TaskRunEntity)
          .createQueryBuilder('t')
          .where('t.groupRunId = :groupRunId AND t.status IN (:...live)', { groupRunId, live: LIVE_STATUSES })
          .getMany()) as unknown as TaskRow[],
    );
  }

  /**
   * Read by the group's index alone and filtered here: with the status in the query, a planner without
   * fresh statistics intersects it with the status index, whose PENDING entries (every waiting task of
   * every group) grow with the backlog.
   */
  readyIds(groupRunId: string): Promise<string[]> {
    return this.db.run(async (em) => {
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
    });
  }
}

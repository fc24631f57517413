import type { Db } from '#ferry/persistence';
import type { GroupStatusChange } from '../../groups/group-listeners.js';
import { recountMoves, type GroupSpec } from '../../groups/group-status.js';
import type { GroupInfo, GroupStore } from '../../groups/group-store.js';
import { DefinitionEntity, GroupRunEntity, TaskRunEntity } from '../../persistence/index.js';
import type { Tx } from '../tx.js';

/** Group runs through TypeORM's query builder (SQLite, Oracle): every name quoted by TypeORM. */
export class OrmGroupStore implements GroupStore {
  constructor(private readonly db: Db) {}

  async info(tx: Tx | undefined, ids: string[]): Promise<GroupInfo[]> {
    const rows = await (tx ?? this.db.dataSource.manager)
      .getRepository(GroupRunEntity)
      .createQueryBuilder('g')
      .select(['g.id', 'g.runMode', 'g.spec'])
      .where('g.id IN (:...ids)', { ids })
      .getMany();
    return rows.map((r) => ({ id: r.id, runMode: r.runMode as GroupInfo['runMode'], spec: r.spec as GroupSpec }));
  }

  async isEnabled(tx: Tx | undefined, definitionId: string): Promise<boolean> {
    const row = await (tx ?? this.db.dataSource.manager)
      .getRepository(DefinitionEntity)
      .findOne({ where: { id: definitionId }, select: { id: true, enabled: true } });
    return row ? row.enabled === 1 : true;
  }

  recount(ids: string[], now: number): Promise<GroupStatusChange[]> {
    return this.db.tx(async (em) => {
      const repo = em.getRepository(GroupRunEntity);
      const qb = repo
        .createQueryBuilder('g')
        .select(['g.id', 'g.status', 'g.tasksTotal', 'g.tasksSucceeded', 'g.tasksFailed', 'g.tasksCancelled'])
        .addSelect(['g.tasksSkipped', 'g.finishedAt'])
        .where('g.id IN (:...ids)', { ids })
        .orderBy('g.id');
      // Locked first, counted after: the count then sees every task move committed before the lock was granted.
      const groups = await this.db.lockForWrite(qb).getMany();
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
      const { updates, changes } = recountMoves(groups, rows, now);
      const version = () => `${em.connection.driver.escape('version')} + 1`;
      for (const { id, tasksTotal: _t, ...set } of updates) {
        await repo
          .createQueryBuilder()
          .update()
          .set({ ...set, updatedAt: now, version })
          .where({ id })
          .execute();
      }
      return changes;
    });
  }
}

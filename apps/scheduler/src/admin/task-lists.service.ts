import { Inject, Injectable } from '@nestjs/common';
import type { Page } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { decodeCursor, encodeCursor, parseLimit } from '#ferry/http';
import { Db } from '#ferry/persistence';
import { GroupRunEntity, TaskRunEntity } from '../persistence/index.js';
import type { TaskRow } from '../tasks/task-status.js';
import { keysetPage, parseBusinessDate, parseInstant } from './paging.js';
import { taskView } from './views.js';

export interface TaskRunQuery {
  status?: string;
  definition?: string;
  businessDate?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: string;
}

/** The task-run lists: every task run (filtered), and one group run's tasks page by page. */
@Injectable()
export class TaskListsService {
  constructor(@Inject(Db) private readonly db: Db) {}

  /**
   * Task runs newest first. The group's filters are a sub-select on group_run (by definition, by date),
   * so the page is still read in the order of ix_task_created (or ix_task_status_created).
   */
  async listTasks(q: TaskRunQuery): Promise<Page<Record<string, unknown>>> {
    const from = parseInstant(q.from, 'from');
    const to = parseInstant(q.to, 'to');
    const businessDate = parseBusinessDate(q.businessDate, 'businessDate');
    return this.db.run(async (em) => {
      const qb = em.getRepository(TaskRunEntity).createQueryBuilder('t');
      if (q.status) qb.andWhere('t.status = :status', { status: q.status });
      if (from !== undefined) qb.andWhere('t.createdAt >= :from', { from });
      if (to !== undefined) qb.andWhere('t.createdAt < :to', { to });
      if (q.definition)
        qb.andWhere(
          't.groupRunId IN (SELECT g.id FROM group_run g WHERE g.definition_id = :d OR g.definition_name = :d)',
          {
            d: q.definition,
          },
        );
      if (businessDate !== undefined)
        qb.andWhere('t.groupRunId IN (SELECT g.id FROM group_run g WHERE g.business_date = :date)', {
          date: businessDate,
        });
      const page = await keysetPage(qb, 'createdAt', q, (t) => t as unknown as TaskRow);
      const groupIds = [...new Set(page.items.map((t) => t.groupRunId))];
      const groups = new Map<string, Pick<GroupRunEntity, 'id' | 'definitionId' | 'definitionName' | 'businessDate'>>();
      if (groupIds.length)
        for (const g of await em
          .getRepository(GroupRunEntity)
          .createQueryBuilder('g')
          .select(['g.id', 'g.definitionId', 'g.definitionName', 'g.businessDate'])
          .where('g.id IN (:...groupIds)', { groupIds })
          .getMany())
          groups.set(g.id, g);
      return {
        items: page.items.map((t) => {
          const g = groups.get(t.groupRunId);
          return {
            ...taskView(t),
            definitionId: g?.definitionId ?? null,
            definition: g?.definitionName ?? null,
            businessDate: g?.businessDate ?? null,
          };
        }),
        nextCursor: page.nextCursor,
      };
    });
  }

  /** One group run's tasks by seq, by keyset on ux_task_group_seq (the group detail keeps its first 1000). */
  async listGroupTasks(groupRunId: string, q: { cursor?: string; limit?: string }) {
    const limit = parseLimit(q.limit);
    const after = decodeCursor(q.cursor);
    return this.db.run(async (em) => {
      if (!(await em.getRepository(GroupRunEntity).existsBy({ id: groupRunId })))
        throw ApiError.notFound('Group run', groupRunId);
      const qb = em
        .getRepository(TaskRunEntity)
        .createQueryBuilder('t')
        .where('t.groupRunId = :groupRunId', { groupRunId })
        .orderBy('t.seq', 'ASC')
        .take(limit + 1);
      if (after) qb.andWhere('t.seq > :seq', { seq: after.at });
      const rows = (await qb.getMany()) as unknown as TaskRow[];
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      return {
        items: items.map(taskView),
        nextCursor: rows.length > limit ? encodeCursor({ at: last.seq, id: last.id }) : null,
      };
    });
  }
}

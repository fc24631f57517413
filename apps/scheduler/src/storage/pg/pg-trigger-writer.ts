import type { EntityManager } from 'typeorm';
import { Db } from '#ferry/persistence';
import type { GroupRunPlan } from '../../groups/group-run.factory.js';
import { DependencyWaitEntity, GroupRunEntity, TaskRunEntity, TriggerEntity } from '../../persistence/index.js';
import { pgInsertIfNew, pgInsertNew } from './pg-task-sql.js';
import type { TriggerRows, TriggerWriter } from '../../triggers/trigger-writer.js';

/**
 * PostgreSQL: a matched trigger with its group runs and tasks is one statement, atomic by itself (no
 * BEGIN and COMMIT round trips); the trigger row goes first with ON CONFLICT DO NOTHING and the rest
 * only if it was new, so a copy writes nothing. Past `maxTasks` the caller's transaction takes it.
 * Many triggers (a schedule's fire pass) are one statement too, in the caller's transaction.
 */
export class PgTriggerWriter implements TriggerWriter {
  constructor(
    private readonly db: Db,
    private readonly maxTasks: number,
  ) {}

  async insertAtOnce(trigger: TriggerEntity, plans: GroupRunPlan[]): Promise<boolean | undefined> {
    if (plans.reduce((n, p) => n + p.tasks.length, 0) > this.maxTasks) return undefined;
    return this.db.run((em) =>
      pgInsertIfNew(em, { entity: TriggerEntity, rows: [trigger], conflict: ['source', 'message_id'] }, [
        { entity: GroupRunEntity, rows: plans.map((p) => p.group) },
        { entity: TaskRunEntity, rows: plans.flatMap((p) => p.tasks) },
      ]),
    );
  }

  insertNew(em: EntityManager, rows: TriggerRows): Promise<Set<string>> {
    // Parts 1 and 2 (runs, then their tasks) are always sent, even empty, so that each owner keeps its number.
    return pgInsertNew(em, { entity: TriggerEntity, rows: rows.triggers, conflict: ['source', 'message_id'] }, [
      { entity: GroupRunEntity, rows: rows.groups, column: 'trigger_id', owner: 0 },
      { entity: TaskRunEntity, rows: rows.tasks, column: 'group_run_id', owner: 1 },
      { entity: DependencyWaitEntity, rows: rows.waits, column: 'trigger_id', owner: 0 },
    ]);
  }
}

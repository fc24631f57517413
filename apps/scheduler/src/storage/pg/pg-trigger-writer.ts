import { Db } from '#ferry/persistence';
import type { GroupRunPlan } from '../../groups/group-run.factory.js';
import { GroupRunEntity, TaskRunEntity, TriggerEntity } from '../../persistence/index.js';
import { pgInsertIfNew } from './pg-task-sql.js';
import type { TriggerWriter } from '../../triggers/trigger-writer.js';

/**
 * PostgreSQL: a matched trigger with its group runs and tasks is one statement, atomic by itself (no
 * BEGIN and COMMIT round trips); the trigger row goes first with ON CONFLICT DO NOTHING and the rest
 * only if it was new, so a copy writes nothing. Past `maxTasks` the caller's transaction takes it.
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
}

import type { EntityManager } from 'typeorm';
import { Db } from '#ferry/persistence';
import type { GroupRunPlan } from '../../groups/group-run.factory.js';
import {
  DependencyWaitEntity,
  GroupRunEntity,
  TaskEventEntity,
  TaskRunEntity,
  TriggerEntity,
} from '../../persistence/index.js';
import { withIds } from '../../tasks/task-status.js';
import { MicroBatcher } from '../../tasks/micro-batcher.js';
import { pgInsertIfNew, pgInsertNew } from './pg-task-sql.js';
import type { TriggerRows, TriggerWriter } from '../../triggers/trigger-writer.js';

type Draft = { trigger: TriggerEntity; plans: GroupRunPlan[] };

/**
 * PostgreSQL: a matched trigger with its group runs and tasks is one statement, atomic by itself (no
 * BEGIN and COMMIT round trips); the trigger row goes first with ON CONFLICT DO NOTHING and the rest
 * only if it was new, so a copy writes nothing. Small triggers arriving together share that statement
 * (group commit: the ones of one event-loop turn, or those that came while the previous statement ran), each
 * still written or not on its own. Past `maxTasks` the caller's transaction takes it.
 * Many triggers Ferry makes itself (a schedule's fire pass) are one statement too, in the caller's transaction.
 */
export class PgTriggerWriter implements TriggerWriter {
  private readonly together: MicroBatcher<Draft, boolean>;

  constructor(
    private readonly db: Db,
    private readonly maxTasks: number,
    /** Triggers of at most this many tasks share statements; bigger ones have one each. */
    private readonly sharedMaxTasks: number,
  ) {
    this.together = new MicroBatcher(
      (drafts) => this.insertTogether(drafts),
      (d) => `${d.trigger.source}\u0000${d.trigger.messageId}`,
      2,
      200,
    );
  }

  async insertAtOnce(trigger: TriggerEntity, plans: GroupRunPlan[]): Promise<boolean | undefined> {
    const tasks = plans.reduce((n, p) => n + p.tasks.length, 0);
    if (tasks > this.maxTasks) return undefined;
    if (tasks <= this.sharedMaxTasks) return this.together.submit({ trigger, plans });
    return this.insertAlone({ trigger, plans });
  }

  insertNew(em: EntityManager, rows: TriggerRows): Promise<Set<string>> {
    // Parts 1 and 2 (runs, then their tasks) are always sent, even empty, so that each owner keeps its number.
    return pgInsertNew(em, { entity: TriggerEntity, rows: rows.triggers, conflict: ['source', 'message_id'] }, [
      { entity: GroupRunEntity, rows: rows.groups, column: 'trigger_id', owner: 0 },
      { entity: TaskRunEntity, rows: rows.tasks, column: 'group_run_id', owner: 1 },
      { entity: DependencyWaitEntity, rows: rows.waits, column: 'trigger_id', owner: 0 },
      ...(rows.events?.length
        ? [{ entity: TaskEventEntity, rows: withIds(rows.events), column: 'task_run_id', owner: 2 }]
        : []),
    ]);
  }

  /** One statement for the batch; if it fails, each trigger alone, so one bad trigger fails only itself. */
  private async insertTogether(drafts: Draft[]): Promise<boolean[]> {
    if (drafts.length === 1) return [await this.insertAlone(drafts[0])];
    let written: Set<string>;
    try {
      written = await this.db.run((em) =>
        this.insertNew(em, {
          triggers: drafts.map((d) => d.trigger),
          groups: drafts.flatMap((d) => d.plans.map((p) => p.group)),
          tasks: drafts.flatMap((d) => d.plans.flatMap((p) => p.tasks)),
          waits: [],
          events: drafts.flatMap((d) => d.plans.flatMap((p) => p.events ?? [])),
        }),
      );
    } catch {
      return Promise.all(drafts.map((d) => this.insertAlone(d)));
    }
    return drafts.map((d) => written.has(d.trigger.id));
  }

  private insertAlone({ trigger, plans }: Draft): Promise<boolean> {
    return this.db.run((em) =>
      pgInsertIfNew(em, { entity: TriggerEntity, rows: [trigger], conflict: ['source', 'message_id'] }, [
        { entity: GroupRunEntity, rows: plans.map((p) => p.group) },
        { entity: TaskRunEntity, rows: plans.flatMap((p) => p.tasks) },
        { entity: TaskEventEntity, rows: withIds(plans.flatMap((p) => p.events ?? [])) },
      ]),
    );
  }
}

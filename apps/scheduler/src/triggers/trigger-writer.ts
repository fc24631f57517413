import type { EntityManager } from 'typeorm';
import type { DependencyWaitEntity, GroupRunEntity, TriggerEntity } from '../persistence/index.js';
import type { GroupRunPlan } from '../groups/group-run.factory.js';
import type { TaskRow } from '../tasks/task-row.js';
import type { TaskEventDraft } from '../tasks/task-status.js';

/** The rows of triggers Ferry makes itself (system-triggers.ts), each run and wait naming its trigger. */
export interface TriggerRows {
  triggers: TriggerEntity[];
  groups: GroupRunEntity[];
  tasks: TaskRow[];
  waits: DependencyWaitEntity[];
  /** Moves of those tasks decided before they are written (GroupRunPlan.events), each written with its task. */
  events?: TaskEventDraft[];
}

/**
 * Writes triggers with their group runs and tasks (port; storage/pg, storage/orm). A copy of a trigger (same source
 * and messageId) stored first wins: the trigger is not written again, nor are its runs, tasks and waits.
 */
export interface TriggerWriter {
  /**
   * A matched trigger as one atomic step where the database allows it. Answers whether the trigger was new (false:
   * a copy wrote first, and nothing was written), or undefined where the adapter has no such step for it, and the
   * caller writes it in a transaction instead.
   */
  insertAtOnce(trigger: TriggerEntity, plans: GroupRunPlan[]): Promise<boolean | undefined>;
  /** Many triggers in the caller's transaction; answers the ids of those written (the others had a stored copy). */
  insertNew(em: EntityManager, rows: TriggerRows): Promise<Set<string>>;
}

export const TRIGGER_WRITER = Symbol('TRIGGER_WRITER');

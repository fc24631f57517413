import type { TriggerEntity } from '../persistence/index.js';
import type { GroupRunPlan } from '../groups/group-run.factory.js';

/**
 * Writes a matched trigger with its group runs and tasks as one atomic step where the database
 * allows it (port; storage/pg, storage/orm). Answers whether the trigger was new (a copy with the
 * same source and messageId wrote first: false, and nothing was written), or undefined where the
 * adapter has no such step for it, and the caller writes it in a transaction instead.
 */
export interface TriggerWriter {
  insertAtOnce(trigger: TriggerEntity, plans: GroupRunPlan[]): Promise<boolean | undefined>;
}

export const TRIGGER_WRITER = Symbol('TRIGGER_WRITER');

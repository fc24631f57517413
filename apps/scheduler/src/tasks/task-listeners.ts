import type { TaskEventDraft, TaskRow } from './task-status.js';

/** What a committed batch of task moves set off; listeners act on it after the commit. */
export interface Effects {
  /** Tasks that became ready to be sent: their round is queued. */
  ready: string[];
  /** Tasks that reached a terminal status: their queued round can go. */
  finished: string[];
  /** Tasks that entered RETRY_WAIT: their round is brought forward (or back) to the backoff's end. */
  retryWaits: Array<{ id: string; at: number }>;
  /** Groups whose counts moved: their status is recomputed after the commit. */
  groups: string[];
  /** Every committed event with its task as the batch left it (alerts, permits and metrics follow these). */
  moved: Array<{ event: TaskEventDraft; task: TaskRow }>;
}

/**
 * Told of every committed batch of task moves, in the committing call (so it must not block: anything
 * slow is started and tracked by the listener itself). A listener's failure never undoes the commit.
 */
export interface TaskLifecycleListener {
  afterCommit(effects: Effects): void;
}

/** The task lifecycle's listeners, in the order they are told (SchedulerModule composes the list). */
export const TASK_LIFECYCLE_LISTENERS = Symbol('TASK_LIFECYCLE_LISTENERS');

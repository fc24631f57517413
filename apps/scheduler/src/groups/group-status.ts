import type { DefinitionSpec } from '#ferry/contracts';
import type { GroupStatus } from '../tasks/task-status.js';

/** The definition as snapshotted into a group run, with what the trigger said about the run. */
export type GroupSpec = DefinitionSpec & {
  definitionId: string;
  businessDate?: string;
  attributes?: Record<string, unknown>;
};

export interface GroupCounters {
  tasksTotal: number;
  tasksSucceeded: number;
  tasksFailed: number;
  tasksCancelled: number;
  tasksSkipped: number;
}

/** A group's status follows from its tasks' counts. */
export function groupStatusOf(c: GroupCounters): GroupStatus {
  const done = c.tasksSucceeded + c.tasksFailed + c.tasksCancelled + c.tasksSkipped;
  if (done < c.tasksTotal) return 'RUNNING';
  if (c.tasksFailed > 0) return 'FAILED';
  if (c.tasksCancelled > 0 || c.tasksSkipped > 0) return 'CANCELLED';
  return 'SUCCEEDED';
}

export const COUNTER_BY_STATUS: Record<string, keyof GroupCounters | undefined> = {
  SUCCEEDED: 'tasksSucceeded',
  FAILED: 'tasksFailed',
  CANCELLED: 'tasksCancelled',
  SKIPPED: 'tasksSkipped',
};

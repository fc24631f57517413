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

/** A group run's row as a recount reads it (locked). */
export type GroupCountsRow = GroupCounters & { id: string; status: string; finishedAt: number | null };
export type GroupRecount = GroupCounters & { id: string; status: GroupStatus; finishedAt: number | null };

/**
 * The groups whose counts or status differ from what their tasks say (`rows`: task counts by group
 * and status): the updates to write and the status changes to announce once they are committed.
 */
export function recountMoves(
  groups: GroupCountsRow[],
  rows: Array<{ g: string; status: string; n: string | number }>,
  now: number,
): { updates: GroupRecount[]; changes: Array<{ id: string; status: GroupStatus }> } {
  const changes: Array<{ id: string; status: GroupStatus }> = [];
  const updates: GroupRecount[] = [];
  for (const g of groups) {
    const counters: GroupCounters = {
      tasksTotal: g.tasksTotal,
      tasksSucceeded: 0,
      tasksFailed: 0,
      tasksCancelled: 0,
      tasksSkipped: 0,
    };
    for (const r of rows) {
      const key = r.g === g.id ? COUNTER_BY_STATUS[r.status] : undefined;
      if (key) counters[key] = Number(r.n);
    }
    const status = groupStatusOf(counters);
    const same =
      status === g.status &&
      (['tasksSucceeded', 'tasksFailed', 'tasksCancelled', 'tasksSkipped'] as const).every((k) => counters[k] === g[k]);
    if (same) continue;
    const finishedAt = status === 'RUNNING' ? null : (g.finishedAt ?? now);
    updates.push({ id: g.id, ...counters, status, finishedAt });
    if (status !== g.status) changes.push({ id: g.id, status });
  }
  return { updates, changes };
}

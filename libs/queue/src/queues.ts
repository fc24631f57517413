/**
 * Every queue and job name, each tied to its payload type: no bare strings elsewhere.
 */
export const QueueName = {
  triggers: 'ferry.triggers',
  tasks: 'ferry.tasks',
  maintenance: 'ferry.maintenance',
} as const;

/** A task's round (taskRunId) or, for groupDispatch jobs, a whole group's first dispatch (groupRunId). */
export interface TaskRoundPayload {
  taskRunId: string;
  groupRunId?: string;
  /** W3C trace context of whoever queued the job (the trigger), so the round continues its trace. */
  traceparent?: string;
}

export interface MaintenancePayload {
  kind: 'reconcile' | 'overdue';
}

/** The trigger queue carries the same body as POST /api/v1/triggers (validated on receipt). */
export type TriggerQueuePayload = unknown;

export const JobName = {
  taskRound: 'task.round',
  groupDispatch: 'group.dispatch',
  trigger: 'trigger',
  maintenance: 'maintenance',
} as const;

/** One BullMQ job per task run for its whole life; the id makes re-adding it a no-op. */
export const taskJobId = (taskRunId: string): string => `task-${taskRunId}`;
export const groupJobId = (groupRunId: string): string => `group-${groupRunId}`;

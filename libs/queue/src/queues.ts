/**
 * Every queue and job name, each tied to its payload type: no bare strings elsewhere.
 */
export const QueueName = {
  triggers: 'ferry.triggers',
  tasks: 'ferry.tasks',
  maintenance: 'ferry.maintenance',
} as const;

export interface TaskRoundPayload {
  taskRunId: string;
}

export interface MaintenancePayload {
  kind: 'reconcile' | 'overdue';
}

/** The trigger queue carries the same body as POST /api/v1/triggers (validated on receipt). */
export type TriggerQueuePayload = unknown;

export const JobName = {
  taskRound: 'task.round',
  trigger: 'trigger',
  maintenance: 'maintenance',
} as const;

/** One BullMQ job per task run for its whole life; the id makes re-adding it a no-op. */
export const taskJobId = (taskRunId: string): string => `task-${taskRunId}`;

import type { Job } from 'bullmq';
import type { TriggerMessage } from '#ferry/contracts';

/** Every queue's default name; the trigger queue's can be changed by configuration (FERRY_TRIGGER_QUEUE). */
export const QueueName = {
  triggers: 'ferry.triggers',
  tasks: 'ferry.tasks',
} as const;

/** W3C trace context of whoever queued a job, so the job's work continues that trace. */
interface Traced {
  traceparent?: string;
}

/**
 * Every job, by queue: a job's name fixes its payload's type (`JobOf<'tasks', 'group.dispatch'>`), and
 * a processor narrows `job.data` by testing `job.name`.
 */
export interface QueueJobs {
  tasks: {
    /** One round of a task run's life (send, poll, time out, wait out a backoff). */
    'task.round': Traced & { taskRunId: string };
    /** An ASYNC group run's first dispatch of all its ready tasks. */
    'group.dispatch': Traced & { groupRunId: string };
  };
  triggers: {
    /**
     * The same body as POST /api/v1/triggers. Typed for producers; the processor validates it on
     * receipt like any other input (a malformed message is kept as REJECTED).
     */
    trigger: TriggerMessage;
  };
}

export type QueueKey = keyof QueueJobs;
export type JobNameOf<Q extends QueueKey> = keyof QueueJobs[Q] & string;
export type PayloadOf<Q extends QueueKey, N extends JobNameOf<Q>> = QueueJobs[Q][N];

/** A BullMQ job of queue Q, as a union over its job names: testing `job.name` narrows `job.data`. */
export type JobOf<Q extends QueueKey, N extends JobNameOf<Q> = JobNameOf<Q>> = {
  [K in N]: Job<PayloadOf<Q, K>, unknown, K>;
}[N];

/** Any payload of queue Q (what its Queue object carries). */
export type AnyPayloadOf<Q extends QueueKey> = QueueJobs[Q][JobNameOf<Q>];

export const JobName = {
  taskRound: 'task.round',
  groupDispatch: 'group.dispatch',
  trigger: 'trigger',
} as const satisfies Record<string, JobNameOf<'tasks'> | JobNameOf<'triggers'>>;

/** One BullMQ job per task run for its whole life; the id makes re-adding it a no-op. */
export const taskJobId = (taskRunId: string): string => `task-${taskRunId}`;
export const groupJobId = (groupRunId: string): string => `group-${groupRunId}`;

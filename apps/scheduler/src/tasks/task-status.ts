import { timeOrderedId } from '#ferry/persistence';
export const TaskStatus = {
  PENDING: 'PENDING',
  DISPATCHED: 'DISPATCHED',
  ACCEPTED: 'ACCEPTED',
  RUNNING: 'RUNNING',
  RETRY_WAIT: 'RETRY_WAIT',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  CANCELLED: 'CANCELLED',
  SKIPPED: 'SKIPPED',
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

export const LIVE_STATUSES: readonly TaskStatus[] = ['PENDING', 'DISPATCHED', 'ACCEPTED', 'RUNNING', 'RETRY_WAIT'];
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED'];
/** States in which a dispatch is out at the downstream. */
export const IN_FLIGHT_STATUSES: readonly TaskStatus[] = ['DISPATCHED', 'ACCEPTED', 'RUNNING'];

export const isTerminal = (s: string): boolean => (TERMINAL_STATUSES as readonly string[]).includes(s);
export const isLive = (s: string): boolean => (LIVE_STATUSES as readonly string[]).includes(s);
export const isInFlight = (s: string | null): boolean =>
  s !== null && (IN_FLIGHT_STATUSES as readonly string[]).includes(s);

export type Actor = 'dispatcher' | 'callback' | 'poller' | 'operator' | 'system';

export type GroupStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export type { TaskRow } from './task-row.js';

/** Why a task moved: the state machine (task-state.ts) gives each event one; alerts and metrics match on them. */
export const TaskEventReason = {
  DISPATCH: 'DISPATCH',
  DOWNSTREAM_ACCEPTED: 'DOWNSTREAM_ACCEPTED',
  REPORTED_ACCEPTED: 'REPORTED_ACCEPTED',
  REPORTED_RUNNING: 'REPORTED_RUNNING',
  REPORTED_SUCCEEDED: 'REPORTED_SUCCEEDED',
  RECONCILIATION_MISMATCH: 'RECONCILIATION_MISMATCH',
  ATTEMPT_FAILED: 'ATTEMPT_FAILED',
  RETRIES_EXHAUSTED: 'RETRIES_EXHAUSTED',
  FAILED_PERMANENTLY: 'FAILED_PERMANENTLY',
  TARGET_CIRCUIT_OPEN: 'TARGET_CIRCUIT_OPEN',
  TARGET_CONCURRENCY_LIMIT: 'TARGET_CONCURRENCY_LIMIT',
  TARGET_RATE_LIMIT: 'TARGET_RATE_LIMIT',
  TARGET_BUSY: 'TARGET_BUSY',
  CANCELLED_BY_OPERATOR: 'CANCELLED_BY_OPERATOR',
  RETRIED_BY_OPERATOR: 'RETRIED_BY_OPERATOR',
  MARKED_SUCCEEDED_BY_OPERATOR: 'MARKED_SUCCEEDED_BY_OPERATOR',
  RERUN_BY_OPERATOR: 'RERUN_BY_OPERATOR',
  OVERDUE: 'OVERDUE',
  DEADLINE_PASSED: 'DEADLINE_PASSED',
  PREDECESSOR_FAILED: 'PREDECESSOR_FAILED',
  PREDECESSOR_RETRIED: 'PREDECESSOR_RETRIED',
} as const;
export type TaskEventReason = (typeof TaskEventReason)[keyof typeof TaskEventReason];

export interface TaskEventDraft {
  taskRunId: string;
  fromStatus: TaskStatus | null;
  toStatus: TaskStatus;
  actor: Actor;
  reason: TaskEventReason;
  dispatchId: string | null;
  detail?: unknown;
  at: number;
}

/** Time-ordered ids: each insert lands at the right edge of the primary key's index, not at a random page. */
export function withIds(events: TaskEventDraft[]): Array<TaskEventDraft & { id: string; detail: unknown }> {
  return events.map((e) => ({ id: timeOrderedId(), ...e, detail: e.detail ?? null }));
}

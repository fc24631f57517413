import type { FileRef, Progress, Reconciliation, ReportedError } from '#ferry/contracts';

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

/** A task run as the state machine sees it (one row of task_run). */
export interface TaskRow {
  id: string;
  groupRunId: string;
  seq: number;
  file: FileRef;
  status: TaskStatus;
  attempt: number;
  maxAttempts: number;
  dispatchId: string | null;
  targetUrl: string | null;
  downstreamJobId: string | null;
  readyAt: number | null;
  dispatchedAt: number | null;
  nextAt: number | null;
  reportedAt: number | null;
  progress: Progress | null;
  reconciliation: Reconciliation | null;
  reconStatus: 'OK' | 'MISMATCH' | null;
  reconProblems: string[] | null;
  lastError: ReportedError | null;
  overdue: number;
  deadlineAt: number | null;
  version: number;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface TaskEventDraft {
  taskRunId: string;
  fromStatus: TaskStatus | null;
  toStatus: TaskStatus;
  actor: Actor;
  reason: string;
  dispatchId: string | null;
  detail?: unknown;
  at: number;
}

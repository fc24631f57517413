import type { GroupRunEntity, TriggerEntity } from '../persistence/index.js';
import type { TaskRow } from '../tasks/task-status.js';
import { iso } from './paging.js';

/** The admin API's shapes: instants as ISO strings, flags as booleans, internals left out. */
export function groupView(g: GroupRunEntity) {
  return {
    id: g.id,
    definitionId: g.definitionId,
    definition: g.definitionName,
    mode: g.runMode,
    status: g.status,
    triggerId: g.triggerId,
    businessDate: g.businessDate,
    overdue: g.overdue === 1,
    deadlineAt: iso(g.deadlineAt),
    counts: {
      total: g.tasksTotal,
      succeeded: g.tasksSucceeded,
      failed: g.tasksFailed,
      cancelled: g.tasksCancelled,
      skipped: g.tasksSkipped,
    },
    createdAt: iso(g.createdAt),
    updatedAt: iso(g.updatedAt),
    finishedAt: iso(g.finishedAt),
  };
}

export function taskView(t: TaskRow) {
  return {
    id: t.id,
    groupRunId: t.groupRunId,
    seq: t.seq,
    file: t.file,
    status: t.status,
    attempt: t.attempt,
    maxAttempts: t.maxAttempts,
    dispatchId: t.dispatchId,
    targetUrl: t.targetUrl,
    downstreamJobId: t.downstreamJobId,
    progress: t.progress,
    reconciliation: t.reconciliation,
    reconciliationStatus: t.reconStatus,
    reconciliationProblems: t.reconProblems ?? [],
    lastError: t.lastError,
    overdue: t.overdue === 1,
    deadlineAt: iso(t.deadlineAt),
    nextAttemptAt: iso(t.nextAt),
    dispatchedAt: iso(t.dispatchedAt),
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
    finishedAt: iso(t.finishedAt),
  };
}

export function triggerView(t: TriggerEntity) {
  return {
    id: t.id,
    source: t.source,
    messageId: t.messageId,
    event: t.event,
    businessDate: t.businessDate,
    status: t.status,
    reason: t.reason,
    via: t.via,
    answer: t.answer,
    payload: t.payload,
    receivedAt: iso(t.receivedAt),
  };
}

import type { GroupRunEntity, TriggerEntity } from '../persistence/index.js';
import type { PayloadSummary } from '../triggers/payload-summary.js';
import { fieldsOf, type View } from '../persistence/row-description.js';
import { TASK_ROW, type TaskRow } from '../tasks/task-row.js';
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

const SHOW: Record<View, (value: unknown) => unknown> = {
  raw: (v) => v,
  iso: (v) => iso(v as number | null),
  flag: (v) => v === 1,
  list: (v) => v ?? [],
  hidden: () => undefined,
};
const TASK_VIEW = fieldsOf(TASK_ROW)
  .filter(([, f]) => f.view !== 'hidden')
  .map(([name, f]) => [name, f.viewAs ?? name, SHOW[f.view]] as const);

/** A task run as the admin API shows it: each field as its description says (tasks/task-row.ts). */
export function taskView(t: TaskRow): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [name, as, show] of TASK_VIEW) view[as] = show(t[name]);
  return view;
}

/**
 * A trigger as lists show it, with its payload's summary (`summary`), or whole (`GET /triggers/{id}`,
 * no summary): lists never carry whole payloads (docs/contract.md, "Triggers, alerts, targets and stats").
 */
export function triggerView(t: Omit<TriggerEntity, 'payload'> & { payload?: unknown }, summary?: PayloadSummary) {
  const files = (t.payload as { files?: unknown } | null | undefined)?.files;
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
    payload: summary ? summary.payload : t.payload,
    receivedAt: iso(t.receivedAt),
    fileCount: summary ? summary.fileCount : Array.isArray(files) ? files.length : null,
    payloadTruncated: summary?.truncated ?? false,
    replayedAt: iso(t.replayedAt),
    replay: t.replayAnswer,
  };
}

import type { FileRef, Progress, Reconciliation, ReportedError } from '#ferry/contracts';
import { field, fieldsOf, type InitialKeys, type RowOf } from '../persistence/row-description.js';
import type { TaskStatus } from './task-status.js';

/**
 * A task run (one row of task_run), described once. The entity (persistence/entities.ts), the
 * PostgreSQL row mapping and commit columns (task-store.pg.ts), the admin view (admin/views.ts) and
 * the `TaskRow` type are derived from it. Columns in the order the migration creates them.
 *
 * A new field: a line here, a migration adding its column (listed in persistence/index.ts), and the
 * moves of task-state.ts that set it. test/integration/task-row-schema.test.ts fails until both agree.
 */
export const TASK_ROW = {
  id: field<string>('id', 'varchar', { length: 36, primary: true, view: 'raw' }),
  groupRunId: field<string>('group_run_id', 'varchar', { length: 36, view: 'raw' }),
  seq: field<number>('seq', 'int', { view: 'raw' }),
  file: field<FileRef>('file', 'json', { view: 'raw' }),
  status: field<TaskStatus>('status', 'varchar', { length: 12, mutable: true, initial: 'PENDING', view: 'raw' }),
  attempt: field<number>('attempt', 'int', { mutable: true, initial: 0, view: 'raw' }),
  maxAttempts: field<number>('max_attempts', 'int', { mutable: true, view: 'raw' }),
  dispatchId: field<string | null>('dispatch_id', 'varchar', setLater({ length: 36, view: 'raw' })),
  targetUrl: field<string | null>('target_url', 'varchar', setLater({ length: 500, view: 'raw' })),
  downstreamJobId: field<string | null>('downstream_job', 'varchar', setLater({ length: 200, view: 'raw' })),
  // The creator decides readiness: SYNC groups ready their first task only.
  readyAt: field<number | null>('ready_at', 'ms', { nullable: true, mutable: true, view: 'hidden' }),
  dispatchedAt: field<number | null>('dispatched_at', 'ms', setLater({ view: 'iso' })),
  nextAt: field<number | null>('next_at', 'ms', setLater({ view: 'iso', viewAs: 'nextAttemptAt' })),
  reportedAt: field<number | null>('reported_at', 'ms', setLater({ view: 'hidden' })),
  progress: field<Progress | null>('progress', 'json', setLater({ view: 'raw' })),
  reconciliation: field<Reconciliation | null>('reconciliation', 'json', setLater({ view: 'raw' })),
  reconStatus: field<'OK' | 'MISMATCH' | null>(
    'recon_status',
    'varchar',
    setLater({ length: 10, view: 'raw', viewAs: 'reconciliationStatus' }),
  ),
  reconProblems: field<string[] | null>(
    'recon_problems',
    'json',
    setLater({ view: 'list', viewAs: 'reconciliationProblems' }),
  ),
  lastError: field<ReportedError | null>('last_error', 'json', setLater({ view: 'raw' })),
  overdue: field<number>('overdue', 'int', { mutable: true, initial: 0, view: 'flag' }),
  // Set when the group run is created, from its definition's deadline.
  deadlineAt: field<number | null>('deadline_at', 'ms', { nullable: true, mutable: true, view: 'iso' }),
  // Not mutable: the version check increments it in the statement itself.
  version: field<number>('version', 'int', { initial: 1, view: 'hidden' }),
  createdAt: field<number>('created_at', 'ms', { view: 'iso' }),
  updatedAt: field<number>('updated_at', 'ms', { mutable: true, view: 'iso' }),
  finishedAt: field<number | null>('finished_at', 'ms', setLater({ view: 'iso' })),
};

/** A field that a later move sets: nullable, mutable, null on a fresh task. */
function setLater<O extends object>(options: O): O & { nullable: true; mutable: true; initial: null } {
  return { ...options, nullable: true, mutable: true, initial: null };
}

/** A task run as the state machine sees it (one row of task_run). */
export type TaskRow = RowOf<typeof TASK_ROW>;

/** What the creator of a task run gives; the rest starts from the description's `initial` values. */
export type NewTaskRow = Omit<TaskRow, InitialKeys<typeof TASK_ROW>>;

// Every field, in the description's order, so fresh rows share one object shape with loaded ones.
const TEMPLATE = Object.fromEntries(fieldsOf(TASK_ROW).map(([name, f]) => [name, f.initial])) as TaskRow;

export function newTaskRow(given: NewTaskRow): TaskRow {
  return { ...TEMPLATE, ...given };
}

const MUTABLE_FIELDS = fieldsOf(TASK_ROW)
  .filter(([, f]) => f.mutable)
  .map(([name]) => name);

/** The fields the state machine may change, for a version-checked update (the database keeps the rest). */
export function mutableOf(row: TaskRow): Partial<TaskRow> {
  const out: Partial<Record<keyof TaskRow, unknown>> = {};
  for (const name of MUTABLE_FIELDS) out[name] = row[name];
  return out as Partial<TaskRow>;
}

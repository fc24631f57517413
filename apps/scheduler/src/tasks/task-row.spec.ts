import { describe, expect, it } from '@jest/globals';
import { taskView } from '../admin/views.js';
import { field } from '../persistence/row-description.js';
import { mutableOf, newTaskRow, TASK_ROW, type TaskRow } from './task-row.js';
import { fromPg, MUTABLE } from '../storage/pg/pg-task-sql.js';

const T = Date.UTC(2026, 10, 24, 6, 0, 0);
const fresh = (): TaskRow =>
  newTaskRow({
    id: 't1',
    groupRunId: 'g1',
    seq: 2,
    file: { name: 'f' },
    maxAttempts: 3,
    readyAt: null,
    deadlineAt: T + 60_000,
    createdAt: T,
    updatedAt: T,
  });

/** A task_run row as pg hands it over: NUMERIC as text, simple-json as JSON text. */
const raw = {
  id: 't1',
  group_run_id: 'g1',
  seq: 2,
  file: '{"name":"f"}',
  status: 'RUNNING',
  attempt: 1,
  max_attempts: 3,
  dispatch_id: 'd1',
  target_url: 'http://t',
  downstream_job: 'job-1',
  ready_at: String(T),
  dispatched_at: String(T + 1),
  next_at: null,
  reported_at: String(T + 2),
  progress: '{"processed":5,"total":10}',
  reconciliation: null,
  recon_status: null,
  recon_problems: '["received 9 but expected 10"]',
  last_error: null,
  overdue: 1,
  deadline_at: null,
  version: 4,
  created_at: String(T),
  updated_at: String(T + 3),
  finished_at: null,
};

describe('the task row description', () => {
  it('starts a new task from its initial values, in the columns order', () => {
    const row = fresh();
    expect(row).toMatchObject({
      status: 'PENDING',
      attempt: 0,
      overdue: 0,
      version: 1,
      dispatchId: null,
      lastError: null,
    });
    expect(Object.keys(row)).toEqual(Object.keys(TASK_ROW));
  });

  it('reads a PostgreSQL row: instants as numbers, JSON parsed, the rest as is', () => {
    const row = fromPg(raw);
    expect(row).toMatchObject({ id: 't1', groupRunId: 'g1', seq: 2, status: 'RUNNING', downstreamJobId: 'job-1' });
    expect(row).toMatchObject({ readyAt: T, dispatchedAt: T + 1, nextAt: null, reportedAt: T + 2, createdAt: T });
    expect(row).toMatchObject({ file: { name: 'f' }, progress: { processed: 5, total: 10 }, reconciliation: null });
    expect(row.reconProblems).toEqual(['received 9 but expected 10']);
    expect(Object.keys(row)).toEqual(Object.keys(TASK_ROW));
  });

  it('commits the mutable columns only, JSON as text, never the version it checks', () => {
    const row = fromPg(raw);
    const sent = Object.fromEntries(MUTABLE.map(([column, type, get]) => [column, [type, get(row)]]));
    for (const fixed of ['id', 'group_run_id', 'seq', 'file', 'version', 'created_at'])
      expect(sent[fixed]).toBeUndefined();
    expect(sent.status).toEqual(['varchar', 'RUNNING']);
    expect(sent.ready_at).toEqual(['numeric', T]);
    expect(sent.progress).toEqual(['text', '{"processed":5,"total":10}']);
    expect(sent.recon_problems).toEqual(['text', '["received 9 but expected 10"]']);
    const fixed = ['id', 'groupRunId', 'seq', 'file', 'version', 'createdAt'];
    expect(Object.keys(mutableOf(row))).toEqual(Object.keys(TASK_ROW).filter((k) => !fixed.includes(k)));
    expect(Object.keys(sent)).toHaveLength(Object.keys(TASK_ROW).length - fixed.length);
  });

  it('shows a task as the admin API does: instants as ISO text, the flag as a boolean, internals left out', () => {
    const view = taskView(fromPg(raw));
    expect(view).toMatchObject({ id: 't1', status: 'RUNNING', overdue: true, nextAttemptAt: null });
    expect(view.dispatchedAt).toBe(new Date(T + 1).toISOString());
    expect(view.reconciliationProblems).toEqual(['received 9 but expected 10']);
    expect(taskView(fresh()).reconciliationProblems).toEqual([]);
    for (const internal of ['readyAt', 'reportedAt', 'version', 'nextAt', 'reconProblems'])
      expect(view).not.toHaveProperty(internal);
  });

  it('refuses a varchar without a length', () => {
    expect(() => field<string>('name', 'varchar', { view: 'raw' })).toThrow('Column name: a varchar needs a length');
  });
});

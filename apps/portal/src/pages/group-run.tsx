import { api } from '../api.js';
import { PagedListBody, usePagedList } from '../paged-list.js';
import { canMarkSucceeded, MarkSucceededButton, RerunButtons } from '../moves.js';
import { Link } from '../router.js';
import { useCan } from '../session.js';
import { stateColour } from '../states.js';
import { duration, when } from '../time.js';
import type { GroupRunDetail, TaskRun, TaskRunDetail } from '../types.js';
import { ConfirmButton, Empty, Loading, Problem, StateBadge, useLoad } from '../ui.js';
import type { PageProps } from './index.js';

const LIVE = new Set(['PENDING', 'DISPATCHED', 'ACCEPTED', 'RUNNING', 'RETRY_WAIT']);
const TIMELINE_TASKS = 50;
/** Files per page: a group with more is paged with GET /group-runs/{id}/tasks. */
const FILES_PAGE = 100;

interface Detail {
  run: GroupRunDetail;
  events: TaskRunDetail[];
}

async function loadDetail(id: string): Promise<Detail> {
  const run = await api<GroupRunDetail>('GET', `/group-runs/${encodeURIComponent(id)}`);
  // The timeline needs each task's events: the first tasks only, so a large run stays one page load.
  const events = await Promise.all(
    run.tasks.slice(0, TIMELINE_TASKS).map((t) => api<TaskRunDetail>('GET', `/task-runs/${t.id}`)),
  );
  return { run, events };
}

export function GroupRunPage({ params }: PageProps) {
  const can = useCan();
  const { data, error, reload } = useLoad(() => loadDetail(params.id), [params.id], 2000);
  if (!data) return error ? <Problem error={error} /> : <Loading what="the group run" />;
  const { run, events } = data;
  return (
    <>
      <Problem error={error} />
      <p>
        <strong>{run.definition}</strong> <StateBadge state={run.status} />{' '}
        {run.overdue ? <StateBadge state="OVERDUE" /> : null} · business date {run.businessDate ?? '—'} · started{' '}
        {when(run.createdAt)} · {duration(run.createdAt, run.finishedAt)} · {run.counts.succeeded} ok,{' '}
        {run.counts.failed} failed of {run.counts.total}
      </p>
      <p data-testid="group-status" className="muted">
        Status: {run.status}
      </p>
      {can.operate && run.status === 'RUNNING' ? (
        <ConfirmButton
          label="Cancel group run"
          className="secondary"
          question={`Cancel the live tasks of this ${run.definition} run? Finished files stay as they are.`}
          action={() => api('POST', `/group-runs/${run.id}/cancel`)}
          onDone={reload}
        />
      ) : null}
      {can.operate ? <RerunButtons run={run} onDone={reload} /> : null}
      <section aria-labelledby="files">
        <h2 id="files">Files</h2>
        {run.counts.total > FILES_PAGE ? (
          <PagedTasks runId={run.id} canOperate={can.operate} onChanged={reload} />
        ) : (
          <TaskTable tasks={run.tasks} canOperate={can.operate} onChanged={reload} />
        )}
      </section>
      <section aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        <Timeline run={run} events={events} />
      </section>
      <section aria-labelledby="reconciliation">
        <h2 id="reconciliation">Reconciliation</h2>
        <Reconciliation tasks={run.tasks} />
      </section>
    </>
  );
}

/** A large group's files, a page at a time (by seq), refreshed as the group's page is. */
function PagedTasks(props: { runId: string; canOperate: boolean; onChanged: () => void }) {
  const list = usePagedList<TaskRun>(
    `/group-runs/${encodeURIComponent(props.runId)}/tasks`,
    { limit: FILES_PAGE },
    2000,
  );
  const changed = () => {
    list.reload();
    props.onChanged();
  };
  // No empty text here: TaskTable says a run has no files itself.
  return (
    <PagedListBody
      list={list}
      what="files"
      render={(tasks) => <TaskTable tasks={tasks} canOperate={props.canOperate} onChanged={changed} />}
    />
  );
}

function TaskTable({ tasks, canOperate, onChanged }: { tasks: TaskRun[]; canOperate: boolean; onChanged: () => void }) {
  if (tasks.length === 0) return <Empty>This run has no files.</Empty>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">File</th>
          <th scope="col">State</th>
          <th scope="col">Attempts</th>
          <th scope="col">Duration</th>
          <th scope="col">Progress</th>
          <th scope="col">Action</th>
        </tr>
      </thead>
      <tbody>
        {tasks.map((t) => (
          <tr key={t.id} data-testid={`task-${t.file.name}`}>
            <td>
              <Link to={`/task-runs/${t.id}`}>{t.file.name}</Link>
            </td>
            <td>
              <StateBadge state={t.status} />
            </td>
            <td>
              {t.attempt} / {t.maxAttempts}
            </td>
            <td>{duration(t.dispatchedAt ?? t.createdAt, t.finishedAt)}</td>
            <td>{progressText(t)}</td>
            <td>
              {canOperate && !LIVE.has(t.status) && t.status !== 'SUCCEEDED' ? (
                <ConfirmButton
                  label={`Retry ${t.file.name}`}
                  className="outline"
                  question={`Run ${t.file.name} again from its first attempt?`}
                  action={() => api('POST', `/task-runs/${t.id}/retry`)}
                  onDone={onChanged}
                />
              ) : null}{' '}
              {canOperate && canMarkSucceeded(t) ? <MarkSucceededButton task={t} onDone={onChanged} /> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function progressText(t: TaskRun): string {
  const p = t.progress;
  if (!p) return t.status === 'SUCCEEDED' ? 'done' : '—';
  return p.total ? `${p.processed} / ${p.total} (${Math.round((p.processed / p.total) * 100)} %)` : `${p.processed}`;
}

/** One bar per file: each segment is the time spent in a state, coloured by the state map. */
function Timeline({ run, events }: { run: GroupRunDetail; events: TaskRunDetail[] }) {
  if (events.length === 0) return <Empty>No task events yet.</Empty>;
  const states = [...new Set(events.flatMap((t) => t.events.map((e) => e.to)))];
  const start = Date.parse(run.createdAt);
  const end = run.finishedAt ? Date.parse(run.finishedAt) : Date.now();
  const span = Math.max(end - start, 1);
  return (
    <>
      <p className="muted" aria-label="Legend">
        {states.map((st) => (
          <span key={st}>
            <StateBadge state={st} />{' '}
          </span>
        ))}
        from {when(run.createdAt)} to {run.finishedAt ? when(run.finishedAt) : 'now'}
      </p>
      <div role="list" aria-label="Task timelines">
        {events.map((t) => (
          <div key={t.id} role="listitem" style={{ marginBottom: '0.4rem' }}>
            <span className="muted">{t.file.name}</span>
            <div className="timeline" aria-label={t.events.map((e) => `${e.to} at ${when(e.at)}`).join(', ')}>
              {t.events.map((e, i) => {
                const from = Date.parse(e.at);
                const to = i + 1 < t.events.length ? Date.parse(t.events[i + 1].at) : t.finishedAt ? from : end;
                return (
                  <span
                    key={i}
                    title={`${e.to} (${e.actor}: ${e.reason}) at ${when(e.at)}`}
                    style={{
                      left: `${((from - start) / span) * 100}%`,
                      width: `${(Math.max(to - from, 0) / span) * 100}%`,
                      background: stateColour(e.to),
                    }}
                  />
                );
              })}
            </div>
          </div>
        ))}
      </div>
    </>
  );
}

const COUNTS = ['expected', 'received', 'inserted', 'updated', 'deleted', 'unchanged', 'rejected'] as const;

function Reconciliation({ tasks }: { tasks: TaskRun[] }) {
  const reconciled = tasks.filter((t) => t.reconciliation);
  if (reconciled.length === 0)
    return <Empty>No file reconciled yet: the counts appear when the downstream reports a file done.</Empty>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">File</th>
          <th scope="col">Verdict</th>
          {COUNTS.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
          <th scope="col">checksum</th>
          <th scope="col">Problems</th>
        </tr>
      </thead>
      <tbody>
        {reconciled.map((t) => (
          <tr key={t.id} className={t.reconciliationStatus === 'MISMATCH' ? 'mismatch' : undefined}>
            <td>{t.file.name}</td>
            <td>
              {t.reconciliationStatus === 'MISMATCH' ? <strong>MISMATCH</strong> : (t.reconciliationStatus ?? '—')}
            </td>
            {COUNTS.map((c) => (
              <td key={c}>{t.reconciliation?.[c] ?? '—'}</td>
            ))}
            <td>
              <Checksum reported={t.reconciliation?.checksum} expected={t.file.checksum} />
            </td>
            <td>{t.reconciliationProblems.join('; ') || '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The checksum the downstream reported, shortened (whole on hover); marked when it is not the file's. */
function Checksum({ reported, expected }: { reported?: string; expected?: string }) {
  if (!reported) return <>—</>;
  const short = reported.length > 16 ? `${reported.slice(0, 16)}…` : reported;
  if (expected && reported !== expected)
    return <strong title={`${reported} (the file's: ${expected})`}>{short} ≠</strong>;
  return <span title={reported}>{short}</span>;
}

import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, query } from '../api.js';
import { Link } from '../router.js';
import { stateColour } from '../states.js';
import { today, when } from '../time.js';
import type { Alert, GroupRun, Page, Stats } from '../types.js';
import { Empty, Problem, StateBadge, useLoad } from '../ui.js';

const REFRESH_MS = 3000;
const BUCKET_MIN = 5;
/** Pages of 500 read per list for the day's counts: a busier day shows "at least" (its lists give the rest). */
const DAY_PAGES = 4;

/** How many of a business date's runs are in each state, and whether there were more than were read. */
interface DayCounts {
  byState: Array<[string, number]>;
  total: number;
  more: boolean;
}

interface Overview {
  date: string;
  stats: Stats;
  groups: DayCounts;
  tasks: DayCounts;
  lastHour: GroupRun[];
  recent: GroupRun[];
  failures: GroupRun[];
  alerts: Alert[];
}

/** The runs of one business date (`businessDate` filter of /group-runs or /task-runs) counted by state. */
async function countDay(path: '/group-runs' | '/task-runs', businessDate: string): Promise<DayCounts> {
  const counts = new Map<string, number>();
  let cursor: string | undefined;
  let total = 0;
  for (let pages = 0; pages < DAY_PAGES; pages++) {
    const page = await api<Page<{ status: string }>>('GET', `${path}${query({ businessDate, cursor, limit: 500 })}`);
    for (const r of page.items) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    total += page.items.length;
    if (!page.nextCursor) return { byState: [...counts], total, more: false };
    cursor = page.nextCursor;
  }
  return { byState: [...counts], total, more: true };
}

async function loadOverview(): Promise<Overview> {
  const date = today();
  // Throughput and what is overdue, whatever the business date: the runs started within the last day and a half.
  const since = new Date(Date.now() - 36 * 3600_000).toISOString();
  const [stats, groups, tasks, recent, failures, alerts] = await Promise.all([
    api<Stats>('GET', '/stats'),
    countDay('/group-runs', date),
    countDay('/task-runs', date),
    api<Page<GroupRun>>('GET', `/group-runs${query({ from: since, limit: 500 })}`),
    api<Page<GroupRun>>('GET', `/group-runs${query({ status: 'FAILED', limit: 5 })}`),
    api<Page<Alert>>('GET', `/alerts${query({ status: 'OPEN', limit: 10 })}`),
  ]);
  const hourAgo = Date.now() - 3600_000;
  const lastHour = recent.items.filter((r) => Date.parse(r.finishedAt ?? r.updatedAt) >= hourAgo);
  return { date, stats, groups, tasks, recent: recent.items, lastHour, failures: failures.items, alerts: alerts.items };
}

/** Files finished per 5 minutes over the last hour, from the group runs that finished then. */
function throughput(runs: GroupRun[]) {
  const now = Date.now();
  const buckets = Array.from({ length: 60 / BUCKET_MIN }, (_, i) => {
    const start = now - 3600_000 + i * BUCKET_MIN * 60_000;
    return { start, label: new Date(start).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }), files: 0 };
  });
  for (const r of runs) {
    if (!r.finishedAt) continue;
    const i = Math.floor((Date.parse(r.finishedAt) - (now - 3600_000)) / (BUCKET_MIN * 60_000));
    if (i >= 0 && i < buckets.length) buckets[i].files += r.counts.succeeded + r.counts.failed;
  }
  return buckets;
}

/** One card of the day's counts: a state badge (a link to the list of those runs) and its count. */
function DayCard(props: { id: string; title: string; counts: DayCounts; list: string; testid: string; date: string }) {
  const { counts, date } = props;
  return (
    <article aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {counts.byState.length === 0 ? (
        <Empty>
          No runs for business date {date} yet: define a job under Definitions, then publish a trigger or use Run now.
        </Empty>
      ) : (
        <ul>
          {counts.byState.map(([state, n]) => (
            <li key={state}>
              <Link to={`${props.list}?status=${state}&businessDate=${date}`}>
                <StateBadge state={state} />
              </Link>{' '}
              <span data-testid={`${props.testid}-${state}`}>{n}</span>
            </li>
          ))}
        </ul>
      )}
      {counts.more ? <p className="muted">At least {counts.total}: the list has them all.</p> : null}
    </article>
  );
}

export function OverviewPage() {
  const { data, error } = useLoad(loadOverview, [], REFRESH_MS);
  if (!data) return error ? <Problem error={error} /> : <p aria-busy="true">Loading the overview…</p>;
  const { date } = data;
  const overdue = data.recent.filter((r) => r.overdue && r.status === 'RUNNING');
  return (
    <>
      <Problem error={error} />
      <p className="muted">
        Refreshes every {REFRESH_MS / 1000} s. Business date {date}: {data.groups.more ? 'at least ' : ''}
        {data.groups.total} group runs, {data.tasks.more ? 'at least ' : ''}
        {data.tasks.total} task runs; all time:{' '}
        {Object.entries(data.stats.groupRuns)
          .map(([state, n]) => `${n} ${state.toLowerCase()}`)
          .join(', ') || 'none'}
        .
      </p>
      <div className="cards">
        <DayCard
          id="by-state"
          title="Today's group runs by state"
          counts={data.groups}
          list="/group-runs"
          testid="count"
          date={date}
        />
        <DayCard
          id="tasks-by-state"
          title="Today's task runs by state"
          counts={data.tasks}
          list="/task-runs"
          testid="task-count"
          date={date}
        />
        <article aria-labelledby="overdue">
          <h2 id="overdue">Overdue</h2>
          <p>
            <strong>{data.stats.overdueGroupRuns}</strong> group runs past their deadline
          </p>
          {overdue.length === 0 ? (
            <Empty>Nothing running late.</Empty>
          ) : (
            <ul>
              {overdue.map((r) => (
                <li key={r.id}>
                  <Link to={`/group-runs/${r.id}`}>{r.definition}</Link> due {when(r.deadlineAt)}
                </li>
              ))}
            </ul>
          )}
        </article>
        <article aria-labelledby="open-alerts">
          <h2 id="open-alerts">Open alerts</h2>
          {data.alerts.length === 0 ? (
            <Empty>No open alerts.</Empty>
          ) : (
            <ul>
              {data.alerts.map((a) => (
                <li key={a.id}>
                  <Link to="/alerts">{a.kind}</Link> {a.message}
                </li>
              ))}
            </ul>
          )}
        </article>
      </div>
      <section aria-labelledby="throughput">
        <h2 id="throughput">Throughput, last hour (files finished per {BUCKET_MIN} minutes)</h2>
        <div style={{ width: '100%', height: 220 }}>
          <ResponsiveContainer>
            <BarChart data={throughput(data.lastHour)} accessibilityLayer>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="label" />
              <YAxis allowDecimals={false} />
              <Tooltip />
              <Bar dataKey="files" name="files" fill={stateColour('SUCCEEDED')} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
      </section>
      <section aria-labelledby="failures">
        <h2 id="failures">Latest failures</h2>
        {data.failures.length === 0 ? (
          <Empty>No failed group runs.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Definition</th>
                <th scope="col">Business date</th>
                <th scope="col">Failed files</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {data.failures.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/group-runs/${r.id}`}>{r.definition}</Link>
                  </td>
                  <td>{r.businessDate ?? '—'}</td>
                  <td>
                    {r.counts.failed} / {r.counts.total}
                  </td>
                  <td>{when(r.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

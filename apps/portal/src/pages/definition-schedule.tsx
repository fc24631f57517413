import { api } from '../api.js';
import { Link } from '../router.js';
import { useCan } from '../session.js';
import { when } from '../time.js';
import type { Definition, DefinitionDependencies, Schedule, SchedulePreview, ScheduleState } from '../types.js';
import { ConfirmButton, Empty, Loading, Problem, StateBadge, useLoad } from '../ui.js';

// The operational side of a definition page (issue 14): its schedule's clock and fires, and where its
// dependencies stand. Both reload with the definition's version, so a saved edit shows at once.

/** The schedule as one line: when it fires, in which zone, less which calendar, and its policies. */
export function describeSchedule(s: Schedule): string {
  const rate = s.cron ? `cron ${s.cron}` : `every ${s.everySeconds} s`;
  const parts = [rate, `zone ${s.timeZone ?? 'UTC'}`];
  if (s.calendar) parts.push(`calendar ${s.calendar}`);
  parts.push(`business date ${s.businessDate ?? 'FIRE_DATE'}`);
  parts.push(`misfire ${s.misfire ?? 'FIRE_ONCE_NOW'} after ${s.misfireThresholdSeconds ?? 60} s`);
  parts.push(`overlap ${s.overlap ?? 'ALLOW'}`);
  return parts.join(' · ');
}

/** A fire's scheduled time: the trigger carries it in its attributes (receivedAt is when it was written). */
const scheduledAt = (payload: unknown): string | undefined =>
  (payload as { attributes?: { scheduledAt?: string } } | null)?.attributes?.scheduledAt;

export function SchedulePanel({ definition }: { definition: Definition }) {
  const can = useCan();
  const id = encodeURIComponent(definition.id);
  const { data, error, reload } = useLoad(async () => {
    const state = await api<ScheduleState>('GET', `/definitions/${id}/schedule`);
    // The next fire's business date and wall-clock time in the schedule's zone, as the preview computes them.
    const next = state.nextFireAt
      ? (
          await api<SchedulePreview>('POST', '/schedules/preview', {
            schedule: state.schedule,
            from: state.nextFireAt,
            count: 1,
          })
        ).fires[0]
      : undefined;
    return { state, next };
  }, [id, definition.version]);
  if (!data) return error ? <Problem error={error} /> : <Loading what="the schedule" />;
  const { state, next } = data;
  return (
    <section aria-labelledby="schedule">
      <h2 id="schedule">Schedule</h2>
      <Problem error={error} />
      <p>{describeSchedule(state.schedule)}</p>
      <p data-testid="next-fire">
        {state.pausedAt ? (
          <>
            <StateBadge state="PAUSED" /> Paused since {when(state.pausedAt)}: it fires nothing until resumed.{' '}
          </>
        ) : null}
        Next fire:{' '}
        {state.nextFireAt ? (
          <>
            <strong>{when(state.nextFireAt)}</strong>
            {next ? (
              <>
                {' '}
                (business date {next.businessDate}; {next.local} {state.schedule.timeZone ?? 'UTC'})
              </>
            ) : null}
          </>
        ) : (
          'none left'
        )}
        {' · '}last fire {when(state.lastFireAt)}
        {state.queued ? ` · ${state.queued} queued until the live run ends` : ''}
      </p>
      {can.operate ? (
        state.pausedAt ? (
          <ConfirmButton
            label="Resume schedule"
            question={`Resume the schedule of ${definition.name}? Fires missed while paused follow its misfire policy (${state.schedule.misfire ?? 'FIRE_ONCE_NOW'}).`}
            action={() => api('POST', `/definitions/${id}/schedule/resume`)}
            onDone={reload}
          />
        ) : (
          <ConfirmButton
            label="Pause schedule"
            className="secondary"
            question={`Pause the schedule of ${definition.name}? It fires nothing until resumed; messages still start runs.`}
            action={() => api('POST', `/definitions/${id}/schedule/pause`)}
            onDone={reload}
          />
        )
      ) : null}
      <h3>Latest fires</h3>
      {state.fires.length === 0 ? (
        <Empty>No fire yet.</Empty>
      ) : (
        <table aria-label="Latest fires">
          <thead>
            <tr>
              <th scope="col">Scheduled for</th>
              <th scope="col">State</th>
              <th scope="col">Business date</th>
              <th scope="col">Group run</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {state.fires.map((t) => (
              <tr key={t.id}>
                <td>{when(scheduledAt(t.payload) ?? t.receivedAt)}</td>
                <td>
                  <StateBadge state={t.status} />
                </td>
                <td>{t.businessDate ?? '—'}</td>
                <td>
                  {t.status === 'ACCEPTED'
                    ? (t.answer?.groupRuns ?? []).map((g) => (
                        <Link key={g.id} to={`/group-runs/${g.id}`}>
                          {g.definition} run {g.status.toLowerCase()}{' '}
                        </Link>
                      ))
                    : '—'}
                </td>
                <td>{t.reason ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const definitionLink = (name: string) => <Link to={`/definitions/${encodeURIComponent(name)}`}>{name}</Link>;

export function DependenciesPanel({ definition }: { definition: Definition }) {
  const id = encodeURIComponent(definition.id);
  const { data, error } = useLoad(
    () => api<DefinitionDependencies>('GET', `/definitions/${id}/dependencies`),
    [id, definition.version],
  );
  if (!data) return error ? <Problem error={error} /> : <Loading what="the dependencies" />;
  // A definition nothing waits for and that waits for nothing has no panel: most are triggered by messages.
  if (data.upstream.length === 0 && data.dependants.length === 0) return null;
  return (
    <section aria-labelledby="dependencies">
      <h2 id="dependencies">Dependencies</h2>
      <div className="grid">
        <div>
          <h3>Waits for</h3>
          {data.upstream.length === 0 ? (
            <Empty>Nothing: no dependsOn.</Empty>
          ) : (
            <ul aria-label="Upstreams">
              {data.upstream.map((e) => (
                <li key={e.definition}>
                  {definitionLink(e.definition)} <span className="muted">{e.policy}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h3>Waited for by</h3>
          {data.dependants.length === 0 ? (
            <Empty>No definition depends on it.</Empty>
          ) : (
            <ul aria-label="Dependants">
              {data.dependants.map((e) => (
                <li key={e.definition}>
                  {definitionLink(e.definition)} <span className="muted">{e.policy}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <h3>Last business dates</h3>
      {data.dates.length === 0 ? (
        <Empty>No group run of it or its upstreams yet.</Empty>
      ) : (
        <table aria-label="Dependencies by business date">
          <thead>
            <tr>
              <th scope="col">Business date</th>
              <th scope="col">Upstreams</th>
              <th scope="col">Missing</th>
              <th scope="col">Fired</th>
            </tr>
          </thead>
          <tbody>
            {data.dates.map((d) => (
              <tr key={d.businessDate}>
                <td>{d.businessDate}</td>
                <td>{d.met ? <StateBadge state="MET" /> : <StateBadge state="MISSING" />}</td>
                <td>{d.missing.length ? d.missing.join(', ') : '—'}</td>
                <td>{d.fired ? <code title="Its trigger">{d.fired}</code> : 'not yet'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

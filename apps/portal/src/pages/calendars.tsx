import { api } from '../api.js';
import { PagedListBody, usePagedList } from '../paged-list.js';
import { Link, navigate } from '../router.js';
import { useCan } from '../session.js';
import { when } from '../time.js';
import type { Calendar } from '../types.js';
import { ConfirmButton } from '../ui.js';

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** ISO weekdays 1..7 as names; the API's default when the calendar lists none. */
export const businessDaysText = (days: number[] | undefined) =>
  (days ?? [1, 2, 3, 4, 5]).map((d) => WEEKDAYS[d - 1]).join(' ');

/** The calendars schedules name: days they do not fire on, and daily windows they stay out of. */
export function CalendarsPage() {
  const can = useCan();
  const list = usePagedList<Calendar>('/calendars', { limit: 100 });
  return (
    <>
      {can.write ? (
        <p>
          <button type="button" onClick={() => navigate('/calendars/new')}>
            New calendar
          </button>
        </p>
      ) : null}
      <PagedListBody
        list={list}
        what="calendars"
        empty="No calendars yet: a schedule fires every day until an administrator makes one and the schedule names it."
        render={(calendars) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Business days</th>
                <th scope="col">Holidays</th>
                <th scope="col">Excluded windows</th>
                <th scope="col">Version</th>
                <th scope="col">Updated</th>
                {can.write ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {calendars.map((c) => (
                <tr key={c.name} data-testid={`calendar-${c.name}`}>
                  <td>
                    <Link to={`/calendars/${encodeURIComponent(c.name)}`}>{c.name}</Link>
                    {c.description ? <div className="muted">{c.description}</div> : null}
                  </td>
                  <td>{businessDaysText(c.businessDays)}</td>
                  <td>{(c.holidays ?? []).join(', ') || '—'}</td>
                  <td>{(c.exclusions ?? []).map((w) => `${w.from}–${w.to}`).join(', ') || '—'}</td>
                  <td>{c.version}</td>
                  <td>{when(c.updatedAt)}</td>
                  {can.write ? (
                    <td>
                      <ConfirmButton
                        label={`Delete ${c.name}`}
                        className="secondary outline"
                        question={`Delete the calendar ${c.name}? Refused while a definition's schedule names it.`}
                        action={() => api('DELETE', `/calendars/${encodeURIComponent(c.name)}`)}
                        onDone={list.reload}
                      />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      />
    </>
  );
}

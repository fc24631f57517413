import { type ReactNode, useState } from 'react';

/** The filters of a run list (group runs, task runs): what the API's query takes. */
export type RunFilters = Record<string, string | undefined>;

/** A datetime-local value (the operator's zone) as an instant, or undefined. */
const instant = (local: FormDataEntryValue | null) => (local ? new Date(String(local)).toISOString() : undefined);

/** The filters a run list starts with: the status, definition and business date a link put in the page's address. */
export function useRunFilters() {
  const initial = new URLSearchParams(location.search);
  return useState<RunFilters>({
    status: initial.get('status') ?? undefined,
    definition: initial.get('definition') ?? undefined,
    businessDate: initial.get('businessDate') ?? undefined,
  });
}

/** The filters in a submitted form of RunFilterFields: empty fields left out, times as instants. */
export function readRunFilters(form: HTMLFormElement): RunFilters {
  const f = new FormData(form);
  const text = (k: string) => String(f.get(k) ?? '').trim() || undefined;
  return {
    status: text('status'),
    definition: text('definition'),
    businessDate: text('businessDate'),
    from: instant(f.get('from')),
    to: instant(f.get('to')),
  };
}

/** Status, definition, business date, any further fields (`children`), then a time range: a run list's filter. */
export function RunFilterFields(props: { statuses: string[]; filters: RunFilters; children?: ReactNode }) {
  return (
    <fieldset className="grid">
      <label>
        Status
        <select name="status" defaultValue={props.filters.status ?? ''}>
          {props.statuses.map((s) => (
            <option key={s} value={s}>
              {s || 'any'}
            </option>
          ))}
        </select>
      </label>
      <label>
        Definition
        <input name="definition" defaultValue={props.filters.definition ?? ''} placeholder="name or id" />
      </label>
      <label>
        Business date
        <input name="businessDate" type="date" defaultValue={props.filters.businessDate ?? ''} />
      </label>
      {props.children}
      <label>
        From
        <input name="from" type="datetime-local" />
      </label>
      <label>
        To
        <input name="to" type="datetime-local" />
      </label>
    </fieldset>
  );
}

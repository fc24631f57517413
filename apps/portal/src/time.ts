// Times in the operator's own time zone (the browser's), with the zone named once in the header.
export const operatorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const fmt = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export function when(iso: string | null | undefined): string {
  return iso ? fmt.format(new Date(iso)) : '—';
}

export function duration(fromIso: string | null | undefined, toIso: string | null | undefined): string {
  if (!fromIso) return '—';
  const ms = (toIso ? Date.parse(toIso) : Date.now()) - Date.parse(fromIso);
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Today's date in the operator's zone, as YYYY-MM-DD (the default business date filter). */
export function today(): string {
  return new Date().toLocaleDateString('en-CA');
}

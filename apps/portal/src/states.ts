// One colour per state, everywhere in the portal (badges, chart bars, timeline segments).
export const STATE_COLOURS: Record<string, string> = {
  PENDING: '#6b7280',
  DISPATCHED: '#7c3aed',
  ACCEPTED: '#2563eb',
  RUNNING: '#0369a1',
  RETRY_WAIT: '#b45309',
  SUCCEEDED: '#15803d',
  FAILED: '#b91c1c',
  CANCELLED: '#374151',
  SKIPPED: '#4b5563',
  // A schedule's fire held until the live run ends, and a fire or message waiting for its upstreams.
  QUEUED: '#6d28d9',
  WAITING: '#0e7490',
  PAUSED: '#b45309',
  // A dependant's upstreams for a business date: all succeeded, or some not yet.
  MET: '#15803d',
  MISSING: '#b45309',
  UNMATCHED: '#a16207',
  REJECTED: '#9f1239',
  OPEN: '#b91c1c',
  ACKNOWLEDGED: '#b45309',
  RESOLVED: '#15803d',
  CLOSED: '#15803d',
  HALF_OPEN: '#b45309',
};

export const stateColour = (state: string | null | undefined): string => STATE_COLOURS[state ?? ''] ?? '#374151';

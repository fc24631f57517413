/** The admin API's alerts (CONTRACT.md, "Alerts"). One alert per (run, kind); raised again, it counts up. */
export type AlertKind = 'OVERDUE' | 'FAILED' | 'RECONCILIATION_MISMATCH' | 'UNMATCHED_TRIGGER';
export type AlertStatus = 'OPEN' | 'ACKNOWLEDGED' | 'RESOLVED';

export interface AlertView {
  id: string;
  kind: AlertKind;
  status: AlertStatus;
  /** The group run the alert is about, or the trigger for UNMATCHED_TRIGGER. */
  groupRunId: string | null;
  triggerId: string | null;
  /** The task run that raised it first, where one did. */
  taskRunId: string | null;
  definitionId: string | null;
  definition: string | null;
  message: string;
  detail: unknown;
  occurrences: number;
  firstRaisedAt: string;
  lastRaisedAt: string;
  notifiedAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
}

/** What a webhook receives (format "json"); "slack" sends `{"text": …}` instead. */
export interface AlertNotification {
  type: 'ferry.alert';
  alert: AlertView;
}

export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/** `GET /api/v1/targets`: each downstream target's breaker and load, as every instance sees it. */
export interface TargetView {
  url: string;
  breaker: BreakerState;
  consecutiveFailures: number;
  /** While OPEN: when a probe may go; while HALF_OPEN: when the probe's lease ends. */
  retryAt: string | null;
  openedAt: string | null;
  timesOpened: number;
  lastError: string | null;
  inFlight: number;
}

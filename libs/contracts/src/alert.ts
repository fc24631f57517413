import { instant, instantOrNull, nullable, pageSchema } from './common.js';
import { type DeliveryState, deliveryStateProperties, deliveryStateRequired } from './delivery.js';

/**
 * The admin API's alerts (docs/contract.md, "Admin API"; their shape in docs/contract-additions.md). One alert per
 * (run, kind); raised again, it counts up.
 */
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
  /** Until when raising it again notifies no one (`POST /alerts/{id}/silence`); null: not silenced. */
  silencedUntil: string | null;
  /** What operators said when they acknowledged, silenced or un-acknowledged it, oldest first. */
  comments: AlertComment[];
}

export interface AlertComment {
  action: 'ACK' | 'SILENCE' | 'UNACK';
  text: string;
  by: string;
  at: string;
}

/** What a webhook receives (format "json"); "slack" sends `{"text": …}` instead. */
export interface AlertNotification {
  type: 'ferry.alert';
  alert: AlertView;
}

/**
 * `GET /api/v1/alert-deliveries`: one notification of an alert to one channel that is not delivered,
 * DEAD (refused for good, or its attempts spent; an operator may retry it) or PENDING (being retried).
 */
export interface AlertDeliveryView extends DeliveryState {
  id: string;
  alertId: string | null;
  channel: 'log' | 'webhook' | 'email';
  /** A webhook's origin (its path often carries the hook's secret), an e-mail's recipients. */
  destination: string;
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

const nullableString = nullable('string');

export const alertViewSchema = {
  type: 'object',
  required: [
    'id',
    'kind',
    'status',
    'groupRunId',
    'triggerId',
    'taskRunId',
    'definitionId',
    'definition',
    'message',
    'detail',
    'occurrences',
    'firstRaisedAt',
    'lastRaisedAt',
    'notifiedAt',
    'acknowledgedAt',
    'acknowledgedBy',
    'resolvedAt',
    'silencedUntil',
    'comments',
  ],
  properties: {
    id: { type: 'string' },
    kind: { enum: ['OVERDUE', 'FAILED', 'RECONCILIATION_MISMATCH', 'UNMATCHED_TRIGGER'] },
    status: { enum: ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'] },
    groupRunId: nullableString,
    triggerId: nullableString,
    taskRunId: nullableString,
    definitionId: nullableString,
    definition: nullableString,
    message: { type: 'string' },
    detail: { description: 'What raised it (kind-specific); null if nothing' },
    occurrences: { type: 'integer', minimum: 1 },
    firstRaisedAt: instant,
    lastRaisedAt: instant,
    notifiedAt: instantOrNull,
    acknowledgedAt: instantOrNull,
    acknowledgedBy: nullableString,
    resolvedAt: instantOrNull,
    silencedUntil: {
      ...instantOrNull,
      description: 'Until then, raising it again notifies no one; null: not silenced',
    },
    comments: {
      type: 'array',
      description: 'What operators said when they acknowledged, silenced or un-acknowledged it, oldest first',
      items: {
        type: 'object',
        required: ['action', 'text', 'by', 'at'],
        properties: {
          action: { enum: ['ACK', 'SILENCE', 'UNACK'] },
          text: { type: 'string' },
          by: { type: 'string' },
          at: instant,
        },
      },
    },
  },
} as const;

export const targetViewSchema = {
  type: 'object',
  required: ['url', 'breaker', 'consecutiveFailures', 'retryAt', 'openedAt', 'timesOpened', 'lastError', 'inFlight'],
  properties: {
    url: { type: 'string' },
    breaker: { enum: ['CLOSED', 'OPEN', 'HALF_OPEN'] },
    consecutiveFailures: { type: 'integer', minimum: 0 },
    retryAt: instantOrNull,
    openedAt: instantOrNull,
    timesOpened: { type: 'integer', minimum: 0 },
    lastError: nullableString,
    inFlight: { type: 'integer', minimum: 0 },
  },
} as const;

export const alertDeliveryViewSchema = {
  type: 'object',
  required: ['id', 'alertId', 'channel', 'destination', ...deliveryStateRequired],
  properties: {
    id: { type: 'string' },
    alertId: nullableString,
    channel: { enum: ['log', 'webhook', 'email'] },
    destination: { type: 'string', description: "A webhook's origin (not its path), an e-mail's recipients, or `log`" },
    ...deliveryStateProperties,
  },
} as const;

export const alertPageSchema = pageSchema(alertViewSchema);
export const alertDeliveryPageSchema = pageSchema(alertDeliveryViewSchema);
export const targetPageSchema = pageSchema(targetViewSchema);

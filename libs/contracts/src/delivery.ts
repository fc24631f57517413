import type { ReportStatus } from './callback.js';
import { instant, instantOrNull, nullable, pageSchema } from './common.js';

/**
 * An outbox message not delivered, as an operator sees it (the admin routes of each app's outbox):
 * DEAD (refused for good, or its attempts spent; an operator may retry it) or PENDING (being retried).
 */
export interface DeliveryState {
  status: 'DEAD' | 'PENDING';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  /** When it was given up (DEAD). */
  deadAt: string | null;
  /** When it is tried next (PENDING). */
  nextAttemptAt: string | null;
}

const nullableString = nullable('string');

/** `DeliveryState`'s schema, spread after a view's own properties (`required` likewise). */
export const deliveryStateRequired = [
  'status',
  'attempts',
  'lastError',
  'createdAt',
  'deadAt',
  'nextAttemptAt',
] as const;
export const deliveryStateProperties = {
  status: { enum: ['DEAD', 'PENDING'] },
  attempts: { type: 'integer', minimum: 0 },
  lastError: { ...nullableString, description: 'Why the last attempt failed' },
  createdAt: instant,
  deadAt: { ...instantOrNull, description: 'When it was given up (DEAD)' },
  nextAttemptAt: { ...instantOrNull, description: 'When it is tried next (PENDING)' },
} as const;

/** `GET /api/v1/callback-deliveries` (consumer): a report on a sync job not delivered to the scheduler. */
export interface CallbackDeliveryView extends DeliveryState {
  id: string;
  jobId: string;
  dispatchId: string;
  /** The job's status this report carries. */
  reportStatus: ReportStatus;
  callbackUrl: string;
}

/** `GET /api/v1/announcements` (provider): a trigger announcing a published file, not delivered to the scheduler. */
export interface AnnouncementView extends DeliveryState {
  id: string;
  messageId: string;
  dataset: string;
  fileId: string;
  /** Where it is posted: the scheduler's trigger intake. */
  url: string;
}

export const callbackDeliveryViewSchema = {
  type: 'object',
  required: ['id', 'jobId', 'dispatchId', 'reportStatus', 'callbackUrl', ...deliveryStateRequired],
  properties: {
    id: { type: 'string' },
    jobId: { type: 'string' },
    dispatchId: { type: 'string' },
    reportStatus: { enum: ['ACCEPTED', 'RUNNING', 'SUCCEEDED', 'FAILED'], description: 'What the report says' },
    callbackUrl: { type: 'string' },
    ...deliveryStateProperties,
  },
} as const;

export const announcementViewSchema = {
  type: 'object',
  required: ['id', 'messageId', 'dataset', 'fileId', 'url', ...deliveryStateRequired],
  properties: {
    id: { type: 'string' },
    messageId: { type: 'string', description: "The trigger's messageId" },
    dataset: { type: 'string' },
    fileId: { type: 'string' },
    url: { type: 'string', description: "The scheduler's trigger intake" },
    ...deliveryStateProperties,
  },
} as const;

export const callbackDeliveryPageSchema = pageSchema(callbackDeliveryViewSchema);
export const announcementPageSchema = pageSchema(announcementViewSchema);

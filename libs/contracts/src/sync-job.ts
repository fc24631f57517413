import type { FileRef, Progress, Reconciliation, ReportedError } from './common.js';
import { fileRefSchema, pageSchema, progressSchema, reconciliationSchema, reportedErrorSchema } from './common.js';

export interface SyncJobRequest {
  taskRunId: string;
  dispatchId: string;
  callbackUrl: string;
  dataset?: string;
  files: FileRef[];
  businessDate?: string;
  attributes?: Record<string, unknown>;
}

export const syncJobRequestSchema = {
  type: 'object',
  required: ['taskRunId', 'dispatchId', 'callbackUrl', 'files'],
  additionalProperties: false,
  properties: {
    taskRunId: { type: 'string', minLength: 1, maxLength: 64 },
    dispatchId: { type: 'string', minLength: 1, maxLength: 64 },
    callbackUrl: { type: 'string', format: 'uri' },
    dataset: { type: 'string', minLength: 1, maxLength: 200 },
    files: { type: 'array', maxItems: 10000, items: fileRefSchema },
    businessDate: { type: 'string' },
    attributes: { type: 'object' },
  },
} as const;

export type SyncJobStatus = 'ACCEPTED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface SyncJobAccepted {
  jobId: string;
  status: SyncJobStatus;
}

export interface SyncJobView {
  jobId: string;
  status: SyncJobStatus;
  progress?: Progress;
  reconciliation?: Reconciliation;
  error?: ReportedError;
  files: Array<FileRef & { status?: string }>;
}

export const syncJobStatusSchema = { enum: ['ACCEPTED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] } as const;

/**
 * A downstream's job id: the scheduler stores it and puts it in the URLs it polls and cancels, so it
 * takes only 1–200 letters, digits and `._:@~+=-` (a UUID, a number, `job-42`); another is a bad answer.
 */
export const syncJobIdSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 200,
  pattern: '^[A-Za-z0-9._:@~+=-]+$',
} as const;

export const syncJobAcceptedSchema = {
  type: 'object',
  required: ['jobId', 'status'],
  properties: { jobId: syncJobIdSchema, status: syncJobStatusSchema },
} as const;

export const syncJobFileSchema = {
  type: 'object',
  required: ['name', 'dataset', 'fileId', 'status', 'reconciliation'],
  properties: {
    ...fileRefSchema.properties,
    status: { enum: ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] },
    reconciliation: reconciliationSchema,
    error: reportedErrorSchema,
  },
} as const;

export const syncJobViewSchema = {
  type: 'object',
  required: ['jobId', 'status', 'files'],
  properties: {
    jobId: syncJobIdSchema,
    status: syncJobStatusSchema,
    progress: progressSchema,
    reconciliation: reconciliationSchema,
    error: reportedErrorSchema,
    files: { type: 'array', items: syncJobFileSchema },
  },
} as const;

/** A record the consumer refused, with why (`GET /sync-jobs/{jobId}/rejected`). */
export const rejectedRecordSchema = {
  type: 'object',
  required: ['fileIndex', 'position', 'record', 'reasons'],
  properties: {
    fileIndex: { type: 'integer', minimum: 0 },
    position: { type: 'integer', minimum: 0 },
    record: { description: 'The record as the provider served it' },
    reasons: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const rejectedRecordPageSchema = pageSchema(rejectedRecordSchema);

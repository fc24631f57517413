import type { FileRef, Progress, Reconciliation, ReportedError } from './common.js';
import { fileRefSchema } from './common.js';

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

import {
  type Progress,
  progressSchema,
  type Reconciliation,
  reconciliationSchema,
  type ReportedError,
  reportedErrorSchema,
} from './common.js';

export type ReportStatus = 'ACCEPTED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface TaskCallback {
  dispatchId: string;
  status: ReportStatus;
  progress?: Progress;
  reconciliation?: Reconciliation;
  error?: ReportedError;
  reportedAt?: string;
  /** The downstream's job id (optional): recorded when the callback overtakes the sync request's 202. */
  jobId?: string;
}

export const taskCallbackSchema = {
  type: 'object',
  required: ['dispatchId', 'status'],
  additionalProperties: false,
  properties: {
    dispatchId: { type: 'string', minLength: 1, maxLength: 64 },
    status: { enum: ['ACCEPTED', 'RUNNING', 'SUCCEEDED', 'FAILED'] },
    progress: progressSchema,
    reconciliation: reconciliationSchema,
    error: reportedErrorSchema,
    reportedAt: { type: 'string', format: 'date-time' },
    jobId: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

export interface CallbackAnswer {
  applied: boolean;
  reason?: 'STALE' | 'DUPLICATE';
  status: string;
}

export const callbackAnswerSchema = {
  type: 'object',
  required: ['applied', 'status'],
  properties: {
    applied: { type: 'boolean' },
    reason: { enum: ['STALE', 'DUPLICATE'], description: 'Why a report was not applied' },
    status: { type: 'string', description: "The task run's status now (UNKNOWN if it could not be read)" },
  },
} as const;

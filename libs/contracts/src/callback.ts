import { type Progress, type Reconciliation, type ReportedError, reconciliationSchema } from './common.js';

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
    progress: {
      type: 'object',
      required: ['processed'],
      additionalProperties: false,
      properties: { processed: { type: 'integer', minimum: 0 }, total: { type: 'integer', minimum: 0 } },
    },
    reconciliation: reconciliationSchema,
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: { code: { type: 'string', maxLength: 100 }, message: { type: 'string', maxLength: 2000 } },
    },
    reportedAt: { type: 'string', format: 'date-time' },
    jobId: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

export interface CallbackAnswer {
  applied: boolean;
  reason?: 'STALE' | 'DUPLICATE';
  status: string;
}

import { type FileRef, fileRefSchema } from './common.js';

export interface TriggerMessage {
  messageId: string;
  source: string;
  event: string;
  businessDate?: string;
  files?: FileRef[];
  attributes?: Record<string, unknown>;
}

export const triggerMessageSchema = {
  type: 'object',
  required: ['messageId', 'source', 'event'],
  additionalProperties: false,
  properties: {
    messageId: { type: 'string', minLength: 1, maxLength: 200 },
    source: { type: 'string', minLength: 1, maxLength: 200 },
    event: { type: 'string', minLength: 1, maxLength: 200 },
    businessDate: { type: 'string', format: 'date' },
    files: { type: 'array', maxItems: 100000, items: fileRefSchema },
    attributes: { type: 'object' },
  },
} as const;

export interface TriggerGroupRunSummary {
  id: string;
  definition: string;
  status: string;
  tasks: number;
}

export interface TriggerAnswer {
  triggerId: string;
  duplicate: boolean;
  groupRuns: TriggerGroupRunSummary[];
}

export type TriggerStatus = 'ACCEPTED' | 'UNMATCHED' | 'REJECTED';

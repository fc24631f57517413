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

/** A bound definition that waits for its upstreams before this message starts it. */
export interface TriggerWaitingSummary {
  definition: string;
  businessDate: string;
  /** The upstream definitions without a SUCCEEDED group run for the date yet. */
  missing: string[];
}

export interface TriggerAnswer {
  triggerId: string;
  duplicate: boolean;
  groupRuns: TriggerGroupRunSummary[];
  /** Definitions bound to the message that wait for their dependencies (the trigger is WAITING if none started). */
  waiting?: TriggerWaitingSummary[];
}

/**
 * Ferry's own triggers (a schedule's fire, dependencies met) may also be SKIPPED (an overlap or a misfire, with
 * why), QUEUED (until the definition's live run ends) or WAITING (for the definition's dependencies).
 */
export type TriggerStatus = 'ACCEPTED' | 'UNMATCHED' | 'REJECTED' | 'SKIPPED' | 'QUEUED' | 'WAITING';

export const triggerGroupRunSummarySchema = {
  type: 'object',
  required: ['id', 'definition', 'status', 'tasks'],
  properties: {
    id: { type: 'string' },
    definition: { type: 'string', description: "The definition's name" },
    status: { type: 'string' },
    tasks: { type: 'integer', minimum: 0, description: 'How many task runs the group run has' },
  },
} as const;

export const triggerAnswerSchema = {
  type: 'object',
  required: ['triggerId', 'duplicate', 'groupRuns'],
  properties: {
    triggerId: { type: 'string' },
    duplicate: { type: 'boolean', description: 'true: the first answer to this (source, messageId), repeated' },
    groupRuns: { type: 'array', items: triggerGroupRunSummarySchema },
    waiting: {
      type: 'array',
      description: 'Bound definitions that start once their upstreams succeed for the date (see dependsOn)',
      items: {
        type: 'object',
        required: ['definition', 'businessDate', 'missing'],
        properties: {
          definition: { type: 'string' },
          businessDate: { type: 'string' },
          missing: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;

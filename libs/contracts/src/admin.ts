import {
  fileRefSchema,
  instant,
  instantOrNull,
  nullable,
  pageSchema,
  progressSchema,
  reconciliationSchema,
  reportedErrorSchema,
} from './common.js';
import { triggerAnswerSchema } from './trigger.js';

/** The scheduler admin API's views of runs and triggers (docs/contract.md, "Admin API"): instants are ISO strings. */
const count = { type: 'integer', minimum: 0 } as const;
const businessDate = { type: ['string', 'null'], format: 'date' } as const;

export const groupRunStatusSchema = { enum: ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] } as const;
export const taskRunStatusSchema = {
  enum: ['PENDING', 'DISPATCHED', 'ACCEPTED', 'RUNNING', 'RETRY_WAIT', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED'],
} as const;

const groupRunProperties = {
  id: { type: 'string' },
  definitionId: { type: 'string' },
  definition: { type: 'string', description: "The definition's name when the run began" },
  mode: { enum: ['SYNC', 'ASYNC'] },
  status: groupRunStatusSchema,
  triggerId: { ...nullable('string'), description: 'null for a manual run' },
  businessDate,
  overdue: { type: 'boolean' },
  deadlineAt: instantOrNull,
  counts: {
    type: 'object',
    required: ['total', 'succeeded', 'failed', 'cancelled', 'skipped'],
    properties: { total: count, succeeded: count, failed: count, cancelled: count, skipped: count },
  },
  createdAt: instant,
  updatedAt: instant,
  finishedAt: instantOrNull,
} as const;
const groupRunRequired = Object.keys(groupRunProperties);

export const groupRunSchema = { type: 'object', required: groupRunRequired, properties: groupRunProperties } as const;

const taskRunProperties = {
  id: { type: 'string' },
  groupRunId: { type: 'string' },
  seq: count,
  file: fileRefSchema,
  status: taskRunStatusSchema,
  attempt: count,
  maxAttempts: count,
  dispatchId: nullable('string'),
  targetUrl: nullable('string'),
  downstreamJobId: nullable('string'),
  progress: { oneOf: [progressSchema, { type: 'null' }] },
  reconciliation: { oneOf: [reconciliationSchema, { type: 'null' }] },
  reconciliationStatus: { enum: ['OK', 'MISMATCH', null] },
  reconciliationProblems: { type: 'array', items: { type: 'string' } },
  lastError: { oneOf: [reportedErrorSchema, { type: 'null' }] },
  overdue: { type: 'boolean' },
  deadlineAt: instantOrNull,
  nextAttemptAt: instantOrNull,
  dispatchedAt: instantOrNull,
  createdAt: instant,
  updatedAt: instant,
  finishedAt: instantOrNull,
} as const;
const taskRunRequired = Object.keys(taskRunProperties);

export const taskRunSchema = { type: 'object', required: taskRunRequired, properties: taskRunProperties } as const;

export const taskEventSchema = {
  type: 'object',
  required: ['from', 'to', 'actor', 'reason', 'dispatchId', 'detail', 'at'],
  properties: {
    from: { oneOf: [taskRunStatusSchema, { type: 'null' }] },
    to: taskRunStatusSchema,
    actor: { enum: ['dispatcher', 'callback', 'poller', 'operator', 'system'] },
    reason: { type: 'string' },
    dispatchId: nullable('string'),
    detail: { description: 'Whatever the move recorded (a report, an error); null if nothing' },
    at: instant,
  },
} as const;

/** `GET /group-runs/{id}` and a cancel's answer: the run with its tasks (the first 1000, by seq). */
export const groupRunDetailSchema = {
  type: 'object',
  required: [...groupRunRequired, 'tasks'],
  properties: { ...groupRunProperties, tasks: { type: 'array', items: taskRunSchema } },
} as const;

/** `GET /task-runs/{id}` and a retry's answer: the task with its event history. */
export const taskRunDetailSchema = {
  type: 'object',
  required: [...taskRunRequired, 'events'],
  properties: { ...taskRunProperties, events: { type: 'array', items: taskEventSchema } },
} as const;

/** `POST /definitions/{id}/runs`: a run of a definition started by hand, as if a trigger had come. */
export const manualRunSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    businessDate: { type: 'string', format: 'date' },
    files: { type: 'array', maxItems: 100000, items: fileRefSchema },
    attributes: { type: 'object' },
  },
} as const;

export const manualRunAnswerSchema = {
  type: 'object',
  required: [...groupRunRequired, 'tasks'],
  properties: { ...groupRunProperties, tasks: { ...count, description: 'How many task runs it has' } },
} as const;

export const triggerRecordSchema = {
  type: 'object',
  required: [
    'id',
    'source',
    'messageId',
    'event',
    'businessDate',
    'status',
    'reason',
    'via',
    'answer',
    'payload',
    'receivedAt',
    'fileCount',
    'payloadTruncated',
    'replayedAt',
    'replay',
  ],
  properties: {
    id: { type: 'string' },
    source: nullable('string'),
    messageId: nullable('string'),
    event: nullable('string'),
    businessDate: nullable('string'),
    status: { enum: ['ACCEPTED', 'UNMATCHED', 'REJECTED', 'SKIPPED', 'QUEUED', 'WAITING'] },
    reason: { ...nullable('string'), description: 'Why it was REJECTED, SKIPPED, QUEUED or WAITING' },
    via: {
      enum: ['http', 'queue', 'schedule', 'depends', 'rabbitmq', 'nats', 'outbox'],
      description:
        "schedule: a fire of the definition's schedule; depends: its dependencies met for a business date; " +
        'rabbitmq, nats, outbox: a configured trigger source (FERRY_TRIGGER_SOURCES)',
    },
    answer: { oneOf: [triggerAnswerSchema, { type: 'null' }] },
    payload: {
      description:
        'The message as it came (a rejected one too). In a list, bounded: the first 10 files, ' +
        'attributes up to 2 KiB, or only messageId, source, event and businessDate (`payloadTruncated`); ' +
        '`GET /triggers/{id}` has it whole',
    },
    receivedAt: instant,
    fileCount: { ...nullable('integer'), description: 'How many files the message lists (null: no `files` list)' },
    payloadTruncated: { type: 'boolean', description: '`payload` leaves part of the message out (lists only)' },
    replayedAt: {
      ...instantOrNull,
      description: 'When an operator replayed it (`POST /triggers/{id}/replay`); null: never',
    },
    replay: {
      oneOf: [triggerAnswerSchema, { type: 'null' }],
      description: 'What the replay created (its `triggerId` is this trigger); null: never replayed',
    },
  },
} as const;

const countsByStatus = { type: 'object', additionalProperties: count } as const;
export const statsSchema = {
  type: 'object',
  required: ['groupRuns', 'taskRuns', 'triggers', 'reconciliationMismatches', 'overdueGroupRuns'],
  properties: {
    groupRuns: countsByStatus,
    taskRuns: countsByStatus,
    triggers: countsByStatus,
    reconciliationMismatches: count,
    overdueGroupRuns: count,
  },
} as const;

export const groupRunPageSchema = pageSchema(groupRunSchema);
export const triggerRecordPageSchema = pageSchema(triggerRecordSchema);

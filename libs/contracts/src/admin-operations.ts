import { pageSchema } from './common.js';
import { taskRunSchema } from './admin.js';

/**
 * Issue 13's additions to the admin API (docs/contract-additions.md): task-run lists, and the bodies
 * of the operator moves that carry one. Add-only: the shapes of admin.ts are reused, never changed.
 */

/** A task run in `GET /task-runs`: the task as `TaskRun`, with its group's definition and business date. */
export const taskRunListedSchema = {
  type: 'object',
  required: [...taskRunSchema.required, 'definitionId', 'definition', 'businessDate'],
  properties: {
    ...taskRunSchema.properties,
    definitionId: { type: 'string' },
    definition: { type: 'string', description: "The definition's name when the group run began" },
    businessDate: { type: ['string', 'null'], format: 'date' },
  },
} as const;

export const taskRunListedPageSchema = pageSchema(taskRunListedSchema);
/** `GET /group-runs/{id}/tasks`: the group's tasks by seq. */
export const taskRunPageSchema = pageSchema(taskRunSchema);

/** `POST /task-runs/{id}/mark-succeeded`: why the operator says the task's work is done. */
export const markSucceededSchema = {
  type: 'object',
  required: ['reason'],
  additionalProperties: false,
  properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } },
} as const;
export interface MarkSucceeded {
  reason: string;
}

/** `POST /group-runs/{id}/rerun`: every task again, or from the first one that failed (by seq). */
export const rerunSchema = {
  type: 'object',
  required: ['from'],
  additionalProperties: false,
  properties: { from: { enum: ['start', 'firstFailed'] } },
} as const;
export interface Rerun {
  from: 'start' | 'firstFailed';
}

const comment = { type: 'string', minLength: 1, maxLength: 1000 } as const;

/** `POST /alerts/{id}/silence`: raising the alert again notifies no one for this long. */
export const silenceAlertSchema = {
  type: 'object',
  required: ['minutes', 'comment'],
  additionalProperties: false,
  properties: { minutes: { type: 'integer', minimum: 1, maximum: 43200 }, comment },
} as const;
export interface SilenceAlert {
  minutes: number;
  comment: string;
}

/** `POST /alerts/{id}/unack`: an acknowledged alert is OPEN again (it notifies again when raised). */
export const unackAlertSchema = {
  type: 'object',
  required: ['comment'],
  additionalProperties: false,
  properties: { comment },
} as const;
export interface UnackAlert {
  comment: string;
}

/**
 * `POST /alerts/{id}/ack` (optional): what the operator is doing about it, kept with the alert. An absent body,
 * `{}` or an empty comment acknowledges as before, without one.
 */
export const ackAlertSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { comment: { type: 'string', maxLength: 1000 } },
} as const;
export interface AckAlert {
  comment?: string;
}

/** `GET /definitions/{id}/versions`: every stored version of a definition, newest first. */
export const definitionVersionSchema = {
  type: 'object',
  required: ['definitionId', 'version', 'spec', 'createdAt'],
  properties: {
    definitionId: { type: 'string' },
    version: { type: 'integer', minimum: 1 },
    spec: { description: 'The definition as this version stored it (its DefinitionSpec, defaults filled in)' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;
export const definitionVersionPageSchema = pageSchema(definitionVersionSchema);

/** `GET /definitions/{id}/diff?from=n&to=m`: the paths whose value differs, with both values (absent: left out). */
export const definitionDiffSchema = {
  type: 'object',
  required: ['definitionId', 'from', 'to', 'changes'],
  properties: {
    definitionId: { type: 'string' },
    from: { type: 'integer', minimum: 1 },
    to: { type: 'integer', minimum: 1 },
    changes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path'],
        properties: {
          path: {
            type: 'string',
            description: 'e.g. `target.urls[1]`; a value only one version has is absent in the other',
          },
          before: { description: 'The value in `from` (absent: it had none)' },
          after: { description: 'The value in `to` (absent: it has none)' },
        },
      },
    },
  },
} as const;

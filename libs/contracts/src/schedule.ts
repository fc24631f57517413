import { triggerRecordSchema } from './admin.js';
import { instantOrNull } from './common.js';

/** Time triggers: a definition's schedule, and the calendars a schedule may exclude. */
export type MisfirePolicy = 'FIRE_ONCE_NOW' | 'FIRE_ALL' | 'SKIP';
export type OverlapPolicy = 'ALLOW' | 'SKIP' | 'QUEUE' | 'REPLACE';

export interface ScheduleSpec {
  cron?: string;
  everySeconds?: number;
  timeZone?: string;
  calendar?: string;
  businessDate?: 'FIRE_DATE' | 'PREVIOUS_BUSINESS_DAY';
  misfire?: MisfirePolicy;
  misfireThresholdSeconds?: number;
  overlap?: OverlapPolicy;
}

export interface CalendarSpec {
  name: string;
  description?: string;
  holidays?: string[];
  businessDays?: number[];
  exclusions?: Array<{ from: string; to: string }>;
}

const hhmm = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' } as const;

export const scheduleSchema = {
  type: 'object',
  additionalProperties: false,
  oneOf: [{ required: ['cron'] }, { required: ['everySeconds'] }],
  properties: {
    cron: { type: 'string', minLength: 9, maxLength: 200, description: '5 fields, or 6 with seconds first' },
    everySeconds: { type: 'integer', minimum: 1, maximum: 31_536_000 },
    timeZone: { type: 'string', minLength: 1, maxLength: 100, description: 'IANA time zone; default UTC' },
    calendar: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 100 },
    businessDate: { enum: ['FIRE_DATE', 'PREVIOUS_BUSINESS_DAY'] },
    misfire: { enum: ['FIRE_ONCE_NOW', 'FIRE_ALL', 'SKIP'] },
    misfireThresholdSeconds: { type: 'integer', minimum: 0, maximum: 86_400 },
    overlap: { enum: ['ALLOW', 'SKIP', 'QUEUE', 'REPLACE'] },
  },
} as const;

export const calendarSpecSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 100 },
    description: { type: 'string', maxLength: 1000 },
    holidays: { type: 'array', maxItems: 5000, items: { type: 'string', format: 'date' } },
    businessDays: {
      type: 'array',
      minItems: 1,
      maxItems: 7,
      uniqueItems: true,
      items: { type: 'integer', minimum: 1, maximum: 7 },
    },
    exclusions: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        required: ['from', 'to'],
        additionalProperties: false,
        properties: { from: hhmm, to: hhmm },
      },
    },
  },
} as const;

/** `GET /definitions/{id}/schedule`: the schedule's clock and its latest fires (each a trigger). */
export const scheduleStateSchema = {
  type: 'object',
  required: ['definition', 'schedule', 'nextFireAt', 'pausedAt', 'lastFireAt', 'queued', 'fires'],
  properties: {
    definition: { type: 'string', description: "The definition's name" },
    schedule: scheduleSchema,
    nextFireAt: { ...instantOrNull, description: 'The next fire not yet handled; null: none left' },
    pausedAt: { ...instantOrNull, description: 'Paused since (fires due meanwhile are misfires on resume)' },
    lastFireAt: { ...instantOrNull, description: 'The scheduled time of the latest fire made' },
    queued: { type: 'integer', minimum: 0, description: 'Fires held QUEUED until the live run ends' },
    fires: {
      type: 'array',
      description:
        'The latest fires, newest first (at most `limit`): triggers with `via` schedule, each ACCEPTED with its ' +
        'group run, or SKIPPED, QUEUED or WAITING with why (`reason`); `payload.attributes.scheduledAt` is the fire time',
      items: triggerRecordSchema,
    },
  },
} as const;

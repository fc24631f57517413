import { triggerRecordSchema } from './admin.js';
import { instantOrNull } from './common.js';

/** What happens to fires that were due while the scheduler was down or the schedule paused. */
export type MisfirePolicy = 'FIRE_ONCE_NOW' | 'FIRE_ALL' | 'SKIP';

/** What a fire does while the previous run of the same definition is still live. */
export type OverlapPolicy = 'ALLOW' | 'SKIP' | 'QUEUE' | 'REPLACE';

export interface ScheduleSpec {
  /** 5 or 6 fields (seconds first when 6), in `timeZone`. Exactly one of `cron` / `everySeconds`. */
  cron?: string;
  /** Integer 1..31_536_000; fires on epoch-aligned multiples (every 60 s = on each minute, UTC-aligned). */
  everySeconds?: number;
  /** IANA time zone; default 'UTC'. */
  timeZone?: string;
  /** Name of a stored calendar: fires on its excluded days and in its exclusion windows are left out. */
  calendar?: string;
  /** Default FIRE_DATE. */
  businessDate?: 'FIRE_DATE' | 'PREVIOUS_BUSINESS_DAY';
  /** Default FIRE_ONCE_NOW. */
  misfire?: MisfirePolicy;
  /** Default 60: a fire later than this is a misfire. */
  misfireThresholdSeconds?: number;
  /** Default ALLOW. */
  overlap?: OverlapPolicy;
}

export interface CalendarSpec {
  name: string;
  description?: string;
  /** 'YYYY-MM-DD' dates in the schedule's zone. */
  holidays?: string[];
  /** ISO weekdays 1 (Mon)..7 (Sun); default [1, 2, 3, 4, 5]. */
  businessDays?: number[];
  /** Daily windows 'HH:mm' (from inclusive, to exclusive) in the schedule's zone; from > to wraps midnight. */
  exclusions?: Array<{ from: string; to: string }>;
}

export const SCHEDULE_DEFAULTS = {
  timeZone: 'UTC',
  businessDate: 'FIRE_DATE',
  misfire: 'FIRE_ONCE_NOW',
  misfireThresholdSeconds: 60,
  overlap: 'ALLOW',
} as const;

export const CALENDAR_DEFAULTS = { businessDays: [1, 2, 3, 4, 5] } as const;

/** One year: a longer fixed rate is better written as a cron. */
export const MAX_EVERY_SECONDS = 31_536_000;

const hhmm = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' } as const;

export const scheduleSchema = {
  type: 'object',
  additionalProperties: false,
  // Exactly one of the two: both or neither match zero or two branches.
  oneOf: [{ required: ['cron'] }, { required: ['everySeconds'] }],
  properties: {
    cron: { type: 'string', minLength: 9, maxLength: 200 },
    everySeconds: { type: 'integer', minimum: 1, maximum: MAX_EVERY_SECONDS },
    timeZone: { type: 'string', minLength: 1, maxLength: 64 },
    calendar: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 100 },
    businessDate: { enum: ['FIRE_DATE', 'PREVIOUS_BUSINESS_DAY'] },
    misfire: { enum: ['FIRE_ONCE_NOW', 'FIRE_ALL', 'SKIP'] },
    misfireThresholdSeconds: { type: 'integer', minimum: 0, maximum: 86400 },
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
    holidays: {
      type: 'array',
      maxItems: 5000,
      items: { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' },
    },
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

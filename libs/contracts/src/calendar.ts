import { instant, pageSchema } from './common.js';
import { type CalendarSpec, calendarSpecSchema, type ScheduleSpec, scheduleSchema } from './schedule.js';

/** The admin API's calendars (`/calendars`) and the schedule preview (`POST /schedules/preview`). */

/** A calendar as stored, with its bookkeeping. */
export interface Calendar extends CalendarSpec {
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A PUT's body: the spec and, to update only the version read, that `version`. */
export const calendarPutSchema = {
  ...calendarSpecSchema,
  properties: {
    ...calendarSpecSchema.properties,
    version: {
      type: 'integer',
      minimum: 1,
      description: 'The version read: another one gets 409. Without it the calendar is created or replaced',
    },
  },
} as const;

export const calendarSchema = {
  type: 'object',
  required: ['name', 'version', 'createdAt', 'updatedAt'],
  properties: {
    ...calendarSpecSchema.properties,
    version: { type: 'integer', minimum: 1, description: 'Send it back with a PUT; another one gets 409' },
    createdAt: instant,
    updatedAt: instant,
  },
} as const;

export const calendarPageSchema = pageSchema(calendarSchema);

export interface SchedulePreviewRequest {
  schedule: ScheduleSpec;
  /** The first fire may be at this instant or later; default: now. */
  from?: string;
  /** 1..50, default 10. */
  count?: number;
}

export const schedulePreviewRequestSchema = {
  type: 'object',
  required: ['schedule'],
  additionalProperties: false,
  properties: {
    schedule: scheduleSchema,
    from: { ...instant, description: 'The first fire may be at this instant or later; default: now' },
    count: { type: 'integer', minimum: 1, maximum: 50, default: 10 },
  },
} as const;

export interface ScheduledFire {
  at: string;
  /** The fire's wall-clock time in the schedule's zone, `YYYY-MM-DD HH:mm:ss`. */
  local: string;
  /** `YYYY-MM-DD`: the business date its trigger would carry. */
  businessDate: string;
}

export interface SchedulePreview {
  fires: ScheduledFire[];
}

export const schedulePreviewSchema = {
  type: 'object',
  required: ['fires'],
  properties: {
    fires: {
      type: 'array',
      description: 'Fewer than `count` when the schedule has no more within five years',
      items: {
        type: 'object',
        required: ['at', 'local', 'businessDate'],
        properties: {
          at: instant,
          local: { type: 'string', description: "The wall-clock time in the schedule's zone, YYYY-MM-DD HH:mm:ss" },
          businessDate: { type: 'string', format: 'date' },
        },
      },
    },
  },
} as const;

import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  type Calendar,
  calendarPutSchema,
  type CalendarSpec,
  type DefinitionSpec,
  type Page,
  type SchedulePreview,
  type SchedulePreviewRequest,
  schedulePreviewRequestSchema,
} from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { compileSchema, decodeCursor, encodeCursor, parseLimit } from '#ferry/http';
import { Db, isUniqueViolation } from '#ferry/persistence';
import type { Actor } from '../audit/actor.js';
import { AuditLog } from '../audit/audit-log.js';
import { iso } from '../admin/paging.js';
import { wallClockAt } from '../core/zones.js';
import { CLOCK, type Clock } from '../core/tokens.js';
import { CalendarEntity, DefinitionEntity, ScheduleEntity } from '../persistence/index.js';
import { loadCalendar } from './schedule-clock.js';
import { businessDateOf, calendarProblems, nextFire, nextFires, scheduleProblems } from './schedule-math.js';

const validate = compileSchema<CalendarSpec & { version?: number }>(calendarPutSchema);
const validatePreview = compileSchema<SchedulePreviewRequest>(schedulePreviewRequestSchema);

/**
 * The calendar `name`, its row locked until `em`'s transaction ends. A definition saved naming it takes
 * this lock as a delete does, so a delete cannot slip between the check and the save of a definition.
 */
export async function lockedCalendar(db: Db, em: EntityManager, name: string): Promise<CalendarEntity | null> {
  const qb = em.getRepository(CalendarEntity).createQueryBuilder('c').where('c.name = :name', { name });
  return db.lockForWrite(qb).getOne();
}

/** Calendars a schedule may exclude: stored as data, edited through the admin API with optimistic versions. */
@Injectable()
export class CalendarsService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {}

  /**
   * Creates the calendar `name`, or replaces it. With `version` only the version read is replaced (another
   * one, or a calendar deleted meanwhile: 409); without it whatever is there is replaced.
   */
  async put(name: string, body: unknown, actor: Actor): Promise<{ created: boolean; calendar: Calendar }> {
    const { version: expected, ...spec } = validate(body);
    if (spec.name !== name) throw ApiError.validation([{ path: 'name', problem: `must match the URL (${name})` }]);
    // What the schema cannot see (a window from 08:00 to 08:00), at the body's own paths.
    const problems = calendarProblems(spec, 'c').map((p) => ({ ...p, path: p.path.slice('c.'.length) }));
    if (problems.length) throw ApiError.validation(problems);
    const now = this.clock();
    try {
      return await this.db.tx(async (em) => {
        const existing = await lockedCalendar(this.db, em, name);
        if (expected !== undefined && existing?.version !== expected)
          throw ApiError.conflict(
            existing
              ? `Calendar ${name} is at version ${existing.version}, not ${expected}`
              : `Calendar ${name} does not exist (any more); create it without a version`,
          );
        const row: CalendarEntity = {
          name,
          spec,
          version: (existing?.version ?? 0) + 1,
          createdAt: existing?.createdAt ?? now,
          updatedAt: now,
        };
        if (!existing) await em.insert(CalendarEntity, row as object);
        else {
          const res = await em
            .createQueryBuilder()
            .update(CalendarEntity)
            .set({ spec: row.spec as object, version: row.version, updatedAt: now })
            .where({ name, version: existing.version })
            .execute();
          if (!res.affected) throw ApiError.conflict(`Calendar ${name} changed meanwhile; read it again`);
          await retimeClocks(this.db, em, name, spec, now);
        }
        const calendar = view(row);
        await this.audit.record(em, {
          actor,
          action: existing ? 'calendar.update' : 'calendar.create',
          ...about(name),
          before: existing ? view(existing) : null,
          after: calendar,
        });
        return { created: !existing, calendar };
      });
    } catch (err) {
      // Two creates of one name at once: the second finds the first's row only through the key.
      if (isUniqueViolation(err)) throw ApiError.conflict(`Calendar ${name} was created meanwhile; read it again`);
      throw err;
    }
  }

  /** Refused (409) while a definition's schedule names it, archived ones included: unarchived, they would fire. */
  async delete(name: string, actor: Actor): Promise<void> {
    await this.db.tx(async (em) => {
      const existing = await lockedCalendar(this.db, em, name);
      if (!existing) throw ApiError.notFound('Calendar', name);
      const users = (await definitionsNaming(em, name)).map((d) => d.name);
      if (users.length)
        throw ApiError.conflict(
          `Calendar ${name} is the calendar of ${users.length} definition(s) (${users.slice(0, 10).join(', ')}); ` +
            'change their schedules first',
        );
      await em.delete(CalendarEntity, { name });
      await this.audit.record(em, { actor, action: 'calendar.delete', ...about(name), before: view(existing) });
    });
  }

  async get(name: string): Promise<Calendar> {
    const row = await this.db.run((em) => em.getRepository(CalendarEntity).findOneBy({ name }));
    if (!row) throw ApiError.notFound('Calendar', name);
    return view(row);
  }

  /** The schedule's next `count` fires at or after `from` (default now), less the stored calendar it names. */
  async preview(body: unknown): Promise<SchedulePreview> {
    const { schedule, from, count = 10 } = validatePreview(body);
    const problems = scheduleProblems(schedule);
    if (problems.length) throw ApiError.validation(problems);
    const name = schedule.calendar;
    const calendar = name ? await this.db.run((em) => loadCalendar(em, name)) : undefined;
    if (name && !calendar)
      throw ApiError.validation([{ path: 'schedule.calendar', problem: 'names no stored calendar' }]);
    const start = from === undefined ? this.clock() : Date.parse(from);
    const local = wallClock(schedule.timeZone ?? 'UTC');
    // nextFires answers fires strictly after its start: one millisecond back makes `from` itself a candidate.
    const fires = nextFires(schedule, calendar, start - 1, count).map((at) => ({
      at: iso(at)!,
      local: local(at),
      businessDate: businessDateOf(schedule, calendar, at),
    }));
    return { fires };
  }

  /** Newest first, by keyset on (createdAt, name), as the definitions are listed. */
  async list(q: { cursor?: string; limit?: string }): Promise<Page<Calendar>> {
    const limit = parseLimit(q.limit);
    const after = decodeCursor(q.cursor);
    const rows = await this.db.run((em) => {
      const qb = em
        .getRepository(CalendarEntity)
        .createQueryBuilder('c')
        .orderBy('c.createdAt', 'DESC')
        .addOrderBy('c.name', 'DESC')
        .take(limit + 1);
      if (after)
        qb.where('(c.createdAt < :at OR (c.createdAt = :at AND c.name < :name))', { at: after.at, name: after.id });
      return qb.getMany();
    });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(view),
      nextCursor: rows.length > limit ? encodeCursor({ at: last.createdAt, id: last.name }) : null,
    };
  }
}

/** The definitions whose schedule names the calendar, archived ones too (the text match only narrows the read). */
async function definitionsNaming(em: EntityManager, calendar: string): Promise<DefinitionEntity[]> {
  const rows = await em
    .getRepository(DefinitionEntity)
    .createQueryBuilder('d')
    .where('d.spec LIKE :text', { text: `%"calendar":"${calendar}"%` })
    .getMany();
  return rows.filter((d) => (d.spec as DefinitionSpec).schedule?.calendar === calendar);
}

/**
 * A replaced calendar moves the clocks of the schedules that name it, in its transaction: the fire loop
 * takes a clock's next fire as computed, so a holiday added for that day would not stop it otherwise.
 * A clock not yet due looks again from now (past fires the new calendar allows stay past); a due one
 * from its due time, so that a due fire the calendar now excludes is passed over and the rest are left
 * to the misfire policy.
 */
async function retimeClocks(db: Db, em: EntityManager, name: string, calendar: CalendarSpec, now: number) {
  for (const def of await definitionsNaming(em, name)) {
    const qb = em.getRepository(ScheduleEntity).createQueryBuilder('s').where('s.definitionId = :id', { id: def.id });
    const clock = await db.lockForWrite(qb).getOne(); // none: archived (no clock)
    if (!clock) continue;
    const due = clock.nextFireAt !== null && clock.nextFireAt <= now;
    const next = nextFire((def.spec as DefinitionSpec).schedule!, calendar, due ? clock.nextFireAt! - 1 : now);
    if (next === clock.nextFireAt) continue;
    await em.update(
      ScheduleEntity,
      { definitionId: def.id, version: clock.version },
      { nextFireAt: next, version: clock.version + 1, updatedAt: now },
    );
  }
}

function view(row: CalendarEntity): Calendar {
  return {
    ...(row.spec as CalendarSpec),
    version: row.version,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

/** `YYYY-MM-DD HH:mm:ss` of an instant in `zone`, for people reading a preview. */
function wallClock(zone: string): (at: number) => string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (at) => {
    const w = wallClockAt(zone, at);
    return `${w.date} ${two(w.hour)}:${two(w.minute)}:${two(w.second)}`;
  };
}

const about = (name: string) => ({ objectType: 'calendar', objectId: name });

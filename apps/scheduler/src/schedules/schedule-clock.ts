import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { CalendarSpec, DefinitionSpec, ScheduleSpec } from '#ferry/contracts';
import { CalendarEntity, type DefinitionEntity, ScheduleEntity } from '../persistence/index.js';
import { nextFire } from './schedule-math.js';

/** What a schedule's clock is computed from: a changed schedule (or calendar name) starts again from now. */
export function specKey(schedule: ScheduleSpec): string {
  return createHash('sha256').update(JSON.stringify(schedule)).digest('hex');
}

/** The stored calendar `name` (what the fire loop excludes), or undefined when there is none. */
export async function loadCalendar(em: EntityManager, name: string): Promise<CalendarSpec | undefined> {
  const row = await em.getRepository(CalendarEntity).findOneBy({ name });
  return row ? (row.spec as CalendarSpec) : undefined;
}

/**
 * Keeps a definition's schedule clock (definition_schedule) in step with its spec, in the transaction that
 * saves the definition: a new or changed schedule fires next at its first time after `now`; an unchanged one
 * keeps its clock (and its pause); a definition archived or without a schedule has no clock.
 */
export async function syncScheduleClock(em: EntityManager, definition: DefinitionEntity, now: number): Promise<void> {
  const schedule = (definition.spec as DefinitionSpec).schedule;
  const repo = em.getRepository(ScheduleEntity);
  if (!schedule || definition.archivedAt !== null) {
    await repo.delete({ definitionId: definition.id });
    return;
  }
  const key = specKey(schedule);
  const current = await repo.findOneBy({ definitionId: definition.id });
  if (current?.specKey === key) return;
  const calendar = schedule.calendar ? await loadCalendar(em, schedule.calendar) : undefined;
  const next = nextFire(schedule, calendar, now);
  if (current) {
    await repo.update(
      { definitionId: definition.id },
      { nextFireAt: next, specKey: key, version: current.version + 1, updatedAt: now },
    );
  } else {
    await repo.insert({
      definitionId: definition.id,
      nextFireAt: next,
      pausedAt: null,
      lastFireAt: null,
      queued: null,
      specKey: key,
      version: 1,
      updatedAt: now,
    });
  }
}

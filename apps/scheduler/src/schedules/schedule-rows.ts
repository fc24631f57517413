import { type EntityManager, In } from 'typeorm';
import type { CalendarSpec, DefinitionSpec } from '#ferry/contracts';
import type { Db } from '#ferry/persistence';
import { CalendarEntity, DefinitionEntity, GroupRunEntity, ScheduleEntity } from '../persistence/index.js';

/** What one fire pass reads and writes besides the fires' own rows (schedule-firer.ts). */

/** The given schedules not paused, locked for this transaction; on PostgreSQL only those no other instance holds. */
export async function lockSchedules(db: Pick<Db, 'type' | 'lockForWrite'>, em: EntityManager, ids: string[]) {
  const qb = em
    .getRepository(ScheduleEntity)
    .createQueryBuilder('s')
    .where('s.definitionId IN (:...ids)', { ids })
    .andWhere('s.pausedAt IS NULL')
    .orderBy('s.definitionId');
  // Each instance takes the rows no other holds; Oracle waits for them, then finds them no longer due.
  if (db.type === 'postgres') qb.setLock('pessimistic_write').setOnLocked('skip_locked');
  else db.lockForWrite(qb);
  return qb.getMany();
}

/**
 * PostgreSQL: up to `limit` schedules due at `now` (or with queued fires) that no other transaction holds, locked
 * for this one, in one statement: passes side by side take disjoint rows.
 */
export async function lockDue(em: EntityManager, now: number, limit: number): Promise<ScheduleEntity[]> {
  return em
    .getRepository(ScheduleEntity)
    .createQueryBuilder('s')
    .where('s.pausedAt IS NULL')
    .andWhere('(s.nextFireAt <= :now OR s.queued IS NOT NULL)', { now })
    .orderBy('s.nextFireAt', 'ASC')
    .limit(limit)
    .setLock('pessimistic_write')
    .setOnLocked('skip_locked')
    .getMany();
}

export async function definitionsOf(em: EntityManager, rows: ScheduleEntity[]): Promise<Map<string, DefinitionEntity>> {
  const defs = await em.getRepository(DefinitionEntity).findBy({ id: In(rows.map((r) => r.definitionId)) });
  return new Map(defs.map((d) => [d.id, d]));
}

/** The calendars the definitions' schedules name, by name. */
export async function calendarsOf(em: EntityManager, defs: DefinitionEntity[]): Promise<Map<string, CalendarSpec>> {
  const names = [...new Set(defs.flatMap((d) => (d.spec as DefinitionSpec).schedule?.calendar ?? []))] as string[];
  if (!names.length) return new Map();
  const rows = await em.getRepository(CalendarEntity).findBy({ name: In(names) });
  return new Map(rows.map((r) => [r.name, r.spec as CalendarSpec]));
}

/** The live (RUNNING) group runs of the definitions whose overlap policy asks, by definition id. */
export async function liveRunsOf(em: EntityManager, defs: DefinitionEntity[]): Promise<Map<string, string[]>> {
  const asking = defs
    .filter((d) => ((d.spec as DefinitionSpec).schedule?.overlap ?? 'ALLOW') !== 'ALLOW')
    .map((d) => d.id);
  const live = new Map<string, string[]>();
  if (!asking.length) return live;
  const rows = await em.getRepository(GroupRunEntity).find({
    select: { id: true, definitionId: true },
    where: { definitionId: In(asking), status: 'RUNNING' },
  });
  for (const r of rows) live.set(r.definitionId, [...(live.get(r.definitionId) ?? []), r.id]);
  return live;
}

export interface ClockMove {
  row: ScheduleEntity;
  changes: Partial<ScheduleEntity>;
}

/**
 * Moves the clocks of a pass: on PostgreSQL those that change only their times by one statement (one array per
 * column), the others (queued fires changed, other databases) one by one.
 */
export async function moveClocks(db: Pick<Db, 'type'>, em: EntityManager, moves: ClockMove[], now: number) {
  const bulk = db.type === 'postgres' ? moves.filter((m) => !('queued' in m.changes)) : [];
  for (const { row, changes } of moves.filter((m) => !bulk.includes(m)))
    await em.update(
      ScheduleEntity,
      { definitionId: row.definitionId },
      { ...changes, version: row.version + 1, updatedAt: now },
    );
  if (!bulk.length) return;
  const num = (v: number | null | undefined) => (v === null || v === undefined ? null : String(v));
  await em.query(
    `UPDATE definition_schedule AS s
        SET next_fire_at = v.next, last_fire_at = v.last, version = s.version + 1, updated_at = $4
       FROM unnest($1::varchar[], $2::numeric[], $3::numeric[]) AS v(id, next, last)
      WHERE s.definition_id = v.id`,
    [
      bulk.map((m) => m.row.definitionId),
      bulk.map((m) => num(m.changes.nextFireAt)),
      bulk.map((m) => num(m.changes.lastFireAt ?? m.row.lastFireAt)),
      String(now),
    ],
  );
}

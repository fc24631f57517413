import type { SelectQueryBuilder } from 'typeorm';
import type { Page } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { decodeCursor, encodeCursor, parseLimit } from '#ferry/http';

export function parseInstant(raw: string | undefined, path: string): number | undefined {
  if (raw === undefined) return undefined;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw ApiError.validation([{ path, problem: 'must be an ISO-8601 date or date-time' }]);
  return t;
}

/** A business date as the contract writes it (YYYY-MM-DD, a real day), or 422: a typo must not read as "no runs". */
export function parseBusinessDate(raw: string | undefined, path: string): string | undefined {
  if (raw === undefined) return undefined;
  const day = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? new Date(`${raw}T00:00:00Z`) : null;
  if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== raw)
    throw ApiError.validation([{ path, problem: 'must be a date as YYYY-MM-DD' }]);
  return raw;
}

export const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/**
 * One page of a list, newest first, by keyset on (`at`, id): `qb` carries the list's own filters;
 * this adds the order, the cursor condition and the look-ahead row that tells whether a next page exists.
 */
export async function keysetPage<E extends { id: string }, V>(
  qb: SelectQueryBuilder<E>,
  at: keyof E & string,
  q: { cursor?: string; limit?: string },
  view: (e: E) => V,
): Promise<Page<V>> {
  const limit = parseLimit(q.limit);
  const after = decodeCursor(q.cursor);
  const a = qb.alias;
  qb.orderBy(`${a}.${at}`, 'DESC')
    .addOrderBy(`${a}.id`, 'DESC')
    .take(limit + 1);
  if (after)
    qb.andWhere(`(${a}.${at} < :cursorAt OR (${a}.${at} = :cursorAt AND ${a}.id < :cursorId))`, {
      cursorAt: after.at,
      cursorId: after.id,
    });
  const rows = await qb.getMany();
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(view),
    nextCursor: rows.length > limit ? encodeCursor({ at: last[at] as unknown as number, id: last.id }) : null,
  };
}

import type { SelectQueryBuilder } from 'typeorm';
import type { Page } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';

/** Opaque keyset cursors: (createdAt, id) of the last item, newest first. */
export interface Cursor {
  at: number;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.at, c.id])).toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (!raw) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (typeof at === 'number' && typeof id === 'string') return { at, id };
  } catch {
    /* fall through */
  }
  throw ApiError.validation([{ path: 'cursor', problem: 'is not a cursor this API returned' }]);
}

export function parseLimit(raw: string | undefined, fallback = 50, max = 500): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw ApiError.validation([{ path: 'limit', problem: `must be an integer from 1 to ${max}` }]);
  return n;
}

export function parseInstant(raw: string | undefined, path: string): number | undefined {
  if (raw === undefined) return undefined;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw ApiError.validation([{ path, problem: 'must be an ISO-8601 date or date-time' }]);
  return t;
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

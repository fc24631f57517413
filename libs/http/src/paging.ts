import { ApiError } from '#ferry/errors';

/** Opaque keyset cursors: the (time or sequence, id) of the last item of a page, newest first. */
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

import { ApiError } from '#ferry/errors';

/**
 * Opaque to clients, but simply the last ordinal served: paging is a keyset walk over
 * (file_id, ordinal), so page N costs the same as page 1 and inserts elsewhere never shift it.
 */
export function encodeCursor(lastOrdinal: number): string {
  return Buffer.from(`o:${lastOrdinal}`, 'utf8').toString('base64url');
}

/** The ordinal after which the page starts; 0 for the first page. */
export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  const m = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m || !/^[A-Za-z0-9_-]+$/.test(cursor))
    throw ApiError.validation([{ path: 'cursor', problem: 'is not a cursor this API issued' }]);
  return Number(m[1]);
}

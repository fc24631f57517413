import type { EntityManager } from 'typeorm';
import type { DatabaseType } from '#ferry/persistence';
import { sql as quoted } from './file-writer.js';

/** Rows per multi-row INSERT on SQLite/Oracle: 3 parameters each stays far below their limits. */
const CHUNK = 300;

/**
 * Appends canonical record bodies with ordinals from `firstOrdinal`. PostgreSQL gets one statement
 * per call (arrays through unnest: one parameter per column, whatever the row count).
 */
export async function insertRecords(
  em: EntityManager,
  db: DatabaseType,
  fileId: string,
  firstOrdinal: number,
  bodies: string[],
): Promise<void> {
  if (bodies.length === 0) return;
  if (db === 'postgres') {
    const ordinals = bodies.map((_, i) => firstOrdinal + i);
    await em.query(
      'INSERT INTO prv_records (file_id, ordinal, body) SELECT $1, o, b FROM unnest($2::int[], $3::text[]) AS u(o, b)',
      [fileId, ordinals, bodies],
    );
    return;
  }
  for (let start = 0; start < bodies.length; start += CHUNK) {
    const part = bodies.slice(start, start + CHUNK);
    const params: unknown[] = [];
    part.forEach((b, i) => params.push(fileId, firstOrdinal + start + i, b));
    const values = part.map(() => '(?, ?, ?)').join(', ');
    const sql =
      db === 'oracle'
        ? 'INSERT ALL ' +
          part.map(() => 'INTO {prv_records} ({file_id}, {ordinal}, {body}) VALUES (?, ?, ?)').join(' ') +
          ' SELECT 1 FROM DUAL'
        : `INSERT INTO {prv_records} ({file_id}, {ordinal}, {body}) VALUES ${values}`;
    await em.query(quoted(em, db, sql), params);
  }
}

const PG_PAGE =
  'SELECT ordinal, body FROM prv_records WHERE file_id = $1 AND ordinal > $2 AND ordinal <= $3 ' +
  'ORDER BY ordinal LIMIT $4';

/**
 * One keyset page: bodies with ordinal > after, in order. Ordinals are dense (1…N, see FileWriter),
 * so the page is also bounded above: without statistics (a file loaded moments ago) the planner
 * may otherwise read and sort every row after the cursor, which makes a whole file cost O(N²).
 * PostgreSQL's statement is its own (every page of the sync benchmark runs it, as it always has).
 */
export async function readPage(
  em: EntityManager,
  db: DatabaseType,
  fileId: string,
  after: number,
  limit: number,
): Promise<Array<{ ordinal: number; body: string }>> {
  const sql =
    db === 'postgres'
      ? PG_PAGE
      : quoted(
          em,
          db,
          'SELECT {ordinal}, {body} FROM {prv_records} ' +
            'WHERE {file_id} = ? AND {ordinal} > ? AND {ordinal} <= ? ORDER BY {ordinal}' +
            (db === 'oracle' ? ' FETCH FIRST ? ROWS ONLY' : ' LIMIT ?'),
        );
  const rows: Array<{ ordinal: unknown; body: string }> = await em.query(sql, [fileId, after, after + limit, limit]);
  return rows.map((r) => ({ ordinal: Number(r.ordinal), body: r.body }));
}

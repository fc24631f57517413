import type { ValueTransformer } from 'typeorm';
import type { DatabaseType } from './database-config.js';

/**
 * Instants are stored as epoch milliseconds in NUMERIC(19,0): the one type that means the same on
 * SQLite, PostgreSQL and Oracle (which has no BIGINT), and compares cheaply in indexes.
 */
export const epochMs: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null || v === undefined ? v : Number(v)),
};

/** Column types used by migrations, per database (Oracle has no TEXT). */
export function columnTypes(db: DatabaseType): { text: string; ms: string } {
  return { text: db === 'oracle' ? 'clob' : 'text', ms: 'numeric' };
}

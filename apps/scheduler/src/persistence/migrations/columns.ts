import type { QueryRunner, TableColumnOptions } from 'typeorm';

/**
 * The portable column kinds a migration writes (entities.ts reads them back): varchar, epoch milliseconds as
 * numeric(19,0), and JSON as text (CLOB on Oracle). Migrations already run keep their own copies: a migration
 * is history and is not edited.
 */
export function columnKinds(q: QueryRunner) {
  const oracle = q.connection.options.type === 'oracle';
  return {
    str: (name: string, length: number, isNullable = false): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable,
    }),
    ms: (name: string, isNullable = false): TableColumnOptions => ({
      name,
      type: 'numeric',
      precision: 19,
      scale: 0,
      isNullable,
    }),
    text: (name: string, isNullable = true): TableColumnOptions => ({
      name,
      type: oracle ? 'clob' : 'text',
      isNullable,
    }),
    int: (name: string): TableColumnOptions => ({ name, type: 'integer' }),
  };
}

import { Table, type TableColumnOptions } from 'typeorm';
import { type ColumnType, type DatasetSpec, keyColumns } from '#ferry/datasets';
import { columnTypes, type DatabaseType } from '#ferry/persistence';

/** Bookkeeping columns: the snapshot that last saw the row, and "did the last upsert change it". */
export const GEN_COLUMN = '_ferry_gen';
export const CHANGED_COLUMN = '_ferry_chg';

/**
 * The target table is defined by the dataset's mapping (data, not a migration): created when the
 * consumer first learns the dataset. Key columns are the dataset's key.
 */
export function targetTable(spec: DatasetSpec, db: DatabaseType): Table {
  const keys = new Set(keyColumns(spec).map((c) => c.name));
  const columns: TableColumnOptions[] = spec.mapping.columns.map((c) => ({
    name: c.name,
    ...sqlType(c.type, keys.has(c.name), db),
    isPrimary: keys.has(c.name),
    isNullable: !keys.has(c.name),
  }));
  columns.push(
    { name: GEN_COLUMN, ...bigint(db), isNullable: true },
    { name: CHANGED_COLUMN, type: 'smallint', isNullable: true },
  );
  return new Table({ name: spec.mapping.table, columns });
}

type SqlType = Pick<TableColumnOptions, 'type' | 'length' | 'precision' | 'scale'>;

/** Oracle has no BIGINT (TypeORM would write the word as it is): NUMBER(19) holds the same values. */
function bigint(db: DatabaseType): SqlType {
  return db === 'oracle' ? { type: 'number', precision: 19, scale: 0 } : { type: 'bigint' };
}

function sqlType(type: ColumnType, isKey: boolean, db: DatabaseType): SqlType {
  switch (type) {
    case 'string':
      return isKey || db === 'oracle' ? { type: 'varchar', length: '255' } : { type: columnTypes(db).text };
    case 'integer':
    case 'timestamp':
      return bigint(db);
    case 'number':
      return { type: 'double precision' };
    case 'boolean':
      return { type: db === 'postgres' ? 'boolean' : 'integer' };
  }
}

/** PostgreSQL array types for unnest(), by column type. */
export function pgArrayType(type: ColumnType, isKey: boolean): string {
  return {
    string: isKey ? 'varchar[]' : 'text[]',
    integer: 'bigint[]',
    timestamp: 'bigint[]',
    number: 'float8[]',
    boolean: 'boolean[]',
  }[type];
}

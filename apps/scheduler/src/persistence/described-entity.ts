import { Column, type ColumnOptions, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '#ferry/persistence';
import { type Description, fieldsOf, type Kind, type RowOf } from './row-description.js';

/** TypeORM's portable column options per kind (row-description.ts); `simple-json` is TEXT, or CLOB on Oracle. */
export const COLUMN_OPTIONS = {
  varchar: { type: 'varchar' },
  int: { type: 'integer' },
  ms: { type: 'numeric', precision: 19, scale: 0, transformer: epochMs },
  json: { type: 'simple-json' },
} as const satisfies Record<Kind, ColumnOptions>;

/**
 * An entity class for `table`, its columns decorated from the description, as if written with
 * `@Entity(table)` and a `@Column` per field. `name` is the class's name (TypeORM's entity name).
 */
export function describedEntity<D extends Description>(name: string, table: string, row: D): new () => RowOf<D> {
  const target = { [name]: class {} }[name];
  for (const [property, f] of fieldsOf(row)) {
    const options = { name: f.column, ...COLUMN_OPTIONS[f.kind], ...(f.length ? { length: f.length } : {}) };
    const decorate = f.primary ? PrimaryColumn(options) : Column(f.nullable ? { ...options, nullable: true } : options);
    decorate(target.prototype, property);
  }
  Entity(table)(target);
  return target as new () => RowOf<D>;
}

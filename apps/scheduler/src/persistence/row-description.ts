/**
 * A record described once, field by field (see tasks/task-row.ts): its TypeScript type, its column,
 * its codec, who may change it and how the admin API shows it. The entity, the raw-row mappings and
 * the views are derived from such a description at module load, never per row.
 */

/**
 * How a value is stored, in portable types only: `varchar` (needs `length`), `int` (integer),
 * `ms` (an instant as epoch milliseconds in NUMERIC(19,0)) and `json` (JSON text: TEXT, CLOB on Oracle).
 */
export type Kind = 'varchar' | 'int' | 'ms' | 'json';

/**
 * The kinds that can hold a value of type T (null aside): the compiler rejects a number stored as JSON text by
 * mistake.
 */
export type KindOf<T> =
  NonNullable<T> extends number ? 'int' | 'ms' : NonNullable<T> extends string ? 'varchar' | 'json' : 'json';

/** How the admin API shows a field: as stored, an instant as ISO text, a 0/1 flag as a boolean, a null list as []. */
export type View = 'raw' | 'iso' | 'flag' | 'list' | 'hidden';

export interface FieldSpec {
  column: string;
  kind: Kind;
  length?: number;
  nullable: boolean;
  primary: boolean;
  /** Whether the state machine may change it: the version-checked commit writes these columns only. */
  mutable: boolean;
  /** Whether `initial` is the value of a freshly created record (otherwise its creator gives one). */
  hasInitial: boolean;
  initial?: unknown;
  view: View;
  /** The admin API's name for the field, when not its own. */
  viewAs?: string;
}

/** A field holding values of type T (a type-only tag: nothing of T exists at run time). */
export type Field<T, Initial extends boolean = boolean> = FieldSpec & { readonly hasInitial: Initial; readonly _t?: T };

type Options<T> = {
  length?: number;
  primary?: true;
  mutable?: true;
  initial?: T;
  view: View;
  viewAs?: string;
} & (null extends T ? { nullable: true } : { nullable?: false });

export function field<T>(column: string, kind: KindOf<T>, options: Options<T> & { initial: T }): Field<T, true>;
export function field<T>(column: string, kind: KindOf<T>, options: Options<T>): Field<T, false>;
export function field<T>(column: string, kind: KindOf<T>, options: Options<T>): Field<T> {
  const { length, primary, mutable, nullable, view, viewAs } = options;
  if (kind === 'varchar' && !length) throw new Error(`Column ${column}: a varchar needs a length`);
  return {
    column,
    kind,
    length,
    nullable: nullable ?? false,
    primary: primary ?? false,
    mutable: mutable ?? false,
    hasInitial: 'initial' in options,
    initial: options.initial,
    view,
    viewAs,
  };
}

export type Description = Record<string, Field<unknown>>;

/** The record's type, read off its description. */
export type RowOf<D> = { -readonly [K in keyof D]: D[K] extends { _t?: infer T } ? Exclude<T, undefined> : never };

/** The fields a fresh record takes from its description (`initial`), so its creator need not name them. */
export type InitialKeys<D> = { [K in keyof D]: D[K] extends { hasInitial: true } ? K : never }[keyof D];

/** The fields' names in the description's order (the columns' order in the table). */
export const fieldsOf = <D extends Description>(d: D): Array<[keyof D & string, FieldSpec]> =>
  Object.entries(d) as Array<[keyof D & string, FieldSpec]>;

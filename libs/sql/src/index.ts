import type { DatabaseType } from '#ferry/persistence';

/**
 * Raw SQL is written once with `?` placeholders and rewritten per driver: PostgreSQL wants `$n`,
 * Oracle `:n`. Placeholders inside string literals are not supported (none of our SQL has them).
 */
export function dialect(sql: string, type: DatabaseType): string {
  if (type === 'sqlite') return sql;
  let i = 0;
  return sql.replace(/\?/g, () => (type === 'postgres' ? `$${++i}` : `:${++i}`));
}

/** Quotes an identifier that was validated as `[a-z][a-z0-9_]*` (so it needs no escaping). */
export function q(ident: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(ident)) throw new Error(`Unsafe SQL identifier ${JSON.stringify(ident)}`);
  return `"${ident}"`;
}

/**
 * Writes each `{name}` marker of `sql` as `quote` spells it. TypeORM's migrations create quoted names,
 * which Oracle keeps lower case, while it reads a bare name as upper case: SQL that Oracle runs names
 * tables and columns through the driver's `escape`, as the migrations did.
 */
export function named(sql: string, quote: (name: string) => string): string {
  return sql.replace(/\{([a-z_][a-z0-9_]*)\}/g, (_, name: string) => quote(name));
}

/** PostgreSQL answers NUMERIC as strings; counts and instants are plain numbers to the app. */
export function num(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}

export * from './copy.js';

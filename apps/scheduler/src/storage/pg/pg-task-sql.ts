import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { TaskRunEntity } from '../../persistence/index.js';
import { pgPool, planGuard } from './plan-guard.js';
import type { Kind } from '../../persistence/row-description.js';
import { fieldsOf } from '../../persistence/row-description.js';
import { compileGetter, compileReader } from '../../persistence/row-compile.js';
import { TASK_ROW, type TaskRow } from '../../tasks/task-row.js';
import type { TaskEventDraft } from '../../tasks/task-status.js';

// Set-based statements for PostgreSQL: a whole batch of tasks in one round trip
// (docs/architecture.md, "Performance").

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const json = (v: unknown): unknown => (v === null || v === undefined ? null : JSON.parse(v as string));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

/**
 * Outside a transaction the hot path talks to the driver's pg pool directly: TypeORM builds a query
 * runner per statement, which costs more than the statement itself at thousands of batches a second.
 */
async function query(
  em: EntityManager,
  sql: string,
  params: unknown[],
  reads = true,
): Promise<Array<Record<string, unknown>>> {
  const pool = em.queryRunner ? undefined : pgPool(em.connection);
  // An insert from arrays reads no table: its plan is the same whatever the statistics say.
  if (pool)
    return (
      await pool.query({
        text: sql,
        values: params,
        name: reads ? planGuard(pool).name(statementName(sql)) : statementName(sql),
      })
    ).rows;
  return em.query(sql, params);
}

const ESCAPE = /[\\"]/;
/**
 * A column's values as a PostgreSQL array literal, for the set-based statements' one-array-per-column
 * parameters. pg builds the same text but runs two regular expressions per element; the values here
 * are ids, statuses, numbers and JSON text, and only the last ever needs escaping.
 */
export function pgArray(values: unknown[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    if (v === null || v === undefined) out += 'NULL';
    else if (typeof v === 'number') out += Number.isFinite(v) ? String(v) : 'NULL';
    else {
      const text = String(v);
      out += `"${ESCAPE.test(text) ? text.replace(/[\\"]/g, '\\$&') : text}"`;
    }
  }
  return `${out}}`;
}

const names = new Map<string, string>();
/** Named statements are parsed and planned once per connection instead of once per batch (once PlanGuard allows). */
function statementName(sql: string): string {
  let name = names.get(sql);
  if (!name) names.set(sql, (name = `ferry_${names.size + 1}`));
  return name;
}

export async function pgLoadTasks(em: EntityManager, ids: string[]): Promise<TaskRow[]> {
  const rows = await query(em, 'SELECT * FROM task_run WHERE id = ANY($1::varchar[])', [ids]);
  return rows.map(fromPg);
}

type Codec = { pgType: string; decode?: (v: unknown) => unknown; encode?: (v: unknown) => unknown };
/** Per kind of column (row-description.ts): its array type, and what pg hands back (numeric as text, JSON as text). */
const CODECS: Record<Kind, Codec> = {
  varchar: { pgType: 'varchar' },
  int: { pgType: 'int' },
  ms: { pgType: 'numeric', decode: num },
  json: { pgType: 'text', decode: json, encode: str },
};

export const fromPg = compileReader(TASK_ROW, (f) => CODECS[f.kind].decode);

export const MUTABLE: Array<[column: string, type: string, get: (r: TaskRow) => unknown]> = fieldsOf(TASK_ROW)
  .filter(([, f]) => f.mutable)
  .map(([name, f]) => {
    const get = compileGetter<TaskRow>(name);
    const encode = CODECS[f.kind].encode;
    return [f.column, CODECS[f.kind].pgType, encode ? (r) => encode(get(r)) : get];
  });
/** Written by every commit, whatever else changed. */
const UPDATED_AT = TASK_ROW.updatedAt.column;

type ColumnMetadata = ReturnType<EntityManager['connection']['getMetadata']>['columns'][number];
type EntityMetadata = ReturnType<EntityManager['connection']['getMetadata']>;
type Driver = EntityManager['connection']['driver'];

/** PostgreSQL's name for an entity column's type, for the array parameters of a set-based insert. */
function pgType(column: ColumnMetadata): string {
  const type = String(column.type);
  const pg = (
    { varchar: 'varchar', integer: 'int', numeric: 'numeric', 'simple-json': 'text', text: 'text' } as Record<
      string,
      string
    >
  )[type];
  if (!pg) throw new Error(`No array type for column ${column.databaseName} (${type})`);
  return pg;
}

/** Column types whose value TypeORM's driver hands to pg as it is (its preparePersistentValue returns it). */
const AS_IS = new Set(['varchar', 'integer', 'numeric', 'text']);

/**
 * What an entity's insert from arrays needs, made once per entity of a data source: its table and
 * columns, each column's array type, and a reader of each column's value for a row as TypeORM's
 * insert would write it (transformer applied, simple-json as JSON text). The hot path writes a trigger,
 * its run, task and claim at every POST; building these from the metadata each time cost more than the
 * statement's own arrays.
 */
interface ArrayTable {
  /** Names the table in the keys of the statements it heads. */
  id: number;
  /** `"table" ("a", "b")`. */
  into: string;
  columns: string;
  types: string[];
  values: Array<(row: object) => unknown>;
  /** Its inserts by first parameter and form (insertSql). */
  inserts: Map<string, string>;
  /** The statements it heads, by the shape of the rest (statement). */
  statements: Map<string, string>;
}
const arrayTables = new WeakMap<EntityMetadata, ArrayTable>();
let tableIds = 0;

function arrayTable(em: EntityManager, entity: EntityTarget<ObjectLiteral>): ArrayTable {
  const meta = em.connection.getMetadata(entity);
  let table = arrayTables.get(meta);
  if (!table) {
    const driver = em.connection.driver;
    const columns = meta.columns.map((c) => driver.escape(c.databaseName)).join(', ');
    table = {
      id: ++tableIds,
      into: `${driver.escape(meta.tableName)} (${columns})`,
      columns,
      types: meta.columns.map(pgType),
      values: meta.columns.map((c) => columnValue(driver, meta, c)),
      inserts: new Map(),
      statements: new Map(),
    };
    arrayTables.set(meta, table);
  }
  return table;
}

function columnValue(driver: Driver, meta: EntityMetadata, c: ColumnMetadata): (row: object) => unknown {
  const name = `${meta.tableName}.${c.databaseName}`;
  // TypeORM's insert would write a column's DEFAULT for a missing value; an array can only say NULL.
  const required = c.default !== undefined;
  const present = (v: unknown) => {
    if (v === undefined && required) throw new Error(`${name}: a value is required here`);
    return v;
  };
  const type = String(c.type);
  const transformers = c.transformer === undefined ? [] : [c.transformer].flat();
  if (c.embeddedMetadata || c.relationMetadata || (type !== 'simple-json' && !AS_IS.has(type)))
    return (r) => driver.preparePersistentValue(present(c.getEntityValue(r)), c);
  const property = c.propertyName;
  const read = transformers.length
    ? (r: object) => transformers.reduce((v, t) => t.to(v), (r as Record<string, unknown>)[property])
    : (r: object) => (r as Record<string, unknown>)[property];
  if (type === 'simple-json')
    return (r) => {
      const v = present(read(r));
      return v === null || v === undefined ? v : JSON.stringify(v);
    };
  return (r) => present(read(r));
}

export type Part = { entity: EntityTarget<ObjectLiteral>; rows: object[] };

/**
 * `INSERT INTO table (columns) SELECT * FROM unnest($n::type[], …) AS u(columns)` for parameters from `first`
 * on, made once per table and first parameter; `u.<column>` names a value of the row for a WHERE the caller
 * appends. `one`: the part has one row, given as one parameter per column (`VALUES ($n::type, …)`), not
 * as arrays: a trigger on its own writes one trigger, run, task and claim, and an array literal of JSON
 * text is escaped character by character.
 */
function insertSql(table: ArrayTable, first: number, one = false): string {
  const key = `${first}${one ? ' one' : ''}`;
  let sql = table.inserts.get(key);
  if (!sql) {
    const params = table.types.map((t, i) => `$${first + i}::${t}${one ? '' : '[]'}`).join(', ');
    sql =
      `INSERT INTO ${table.into}
    SELECT * FROM ${one ? `(VALUES (${params}))` : `unnest(${params})`} ` + `AS u(${table.columns})`;
    table.inserts.set(key, sql);
  }
  return sql;
}

/** One array literal per column of `table` for `rows` (or, `one`, the one row's values), appended to `params`. */
function pushArrays(table: ArrayTable, rows: object[], params: unknown[], one = false): void {
  if (one) for (const value of table.values) params.push(value(rows[0]));
  else for (const value of table.values) params.push(pgArray(rows.map(value)));
}

/**
 * The insert from arrays of `part`'s rows: its SQL (parameters numbered after those already in
 * `params`), its arrays appended to `params`.
 */
export function insertFromArrays(em: EntityManager, { entity, rows }: Part, params: unknown[]): string {
  const table = arrayTable(em, entity);
  const sql = insertSql(table, params.length + 1);
  pushArrays(table, rows, params);
  return sql;
}

/** Rows of one entity (tasks), written by one statement from one array per column. */
export async function pgInsertRows(em: EntityManager, part: Part): Promise<void> {
  if (!part.rows.length) return;
  const params: unknown[] = [];
  await query(em, insertFromArrays(em, part, params), params, false);
}

/**
 * A row and the rows that belong to it, written by one statement (atomic on its own: no BEGIN and
 * COMMIT round trips), only if the first row is new by `conflict` (its unique key): the first INSERT
 * runs first (the others read its result), waits for a concurrent copy to commit or roll back, and
 * when a copy exists writes nothing, nor do the others. Answers whether it wrote.
 */
export async function pgInsertIfNew(
  em: EntityManager,
  head: Part & { conflict: string[] },
  rest: Part[],
): Promise<boolean> {
  const parts = [head, ...rest.filter((p) => p.rows.length)];
  const tables = parts.map((p) => arrayTable(em, p.entity));
  const ones = parts.map((p) => p.rows.length === 1);
  const shape = tables.map((t, i) => `${t.id}${ones[i] ? '' : '*'}`).join(' ');
  const sql = statement(tables[0], `if-new ${shape} ${head.conflict.join(',')}`, () => {
    const driver = em.connection.driver;
    let first = 1;
    const ctes = tables.map((table, i) => {
      const insert = insertSql(table, first, ones[i]);
      first += table.types.length;
      return i === 0
        ? `h AS (${insert} ON CONFLICT (${head.conflict.map((c) => driver.escape(c)).join(', ')}) DO NOTHING RETURNING 1)`
        : `i${i} AS (${insert} WHERE EXISTS (SELECT 1 FROM h))`;
    });
    return `WITH ${ctes.join(', ')} SELECT count(*)::int AS n FROM h`;
  });
  const params: unknown[] = [];
  parts.forEach((p, i) => pushArrays(tables[i], p.rows, params, ones[i]));
  const rows = await query(em, sql, params, false);
  return Number(rows[0]?.n) === 1;
}

/** Rows that belong to a row of an earlier part of the same statement: `column` names it, in part `owner`. */
export type OwnedPart = Part & { column: string; owner: number };

/**
 * Many head rows and the rows that belong to them, by one statement: each head row only if it is new by `conflict`
 * (ON CONFLICT DO NOTHING, waiting for a concurrent copy to commit or roll back), and each owned row only if its
 * owner was written (an owner is the head, part 0, or an earlier owned part). Answers the ids of the head rows
 * written.
 */
export async function pgInsertNew(
  em: EntityManager,
  head: Part & { conflict: string[] },
  owned: OwnedPart[],
): Promise<Set<string>> {
  const tables = [head, ...owned].map((p) => arrayTable(em, p.entity));
  const shape = owned.map((p, i) => `${tables[i + 1].id}:${p.column}:${p.owner}`).join(' ');
  const sql = statement(tables[0], `new ${head.conflict.join(',')} ${shape}`, () => {
    const driver = em.connection.driver;
    const owners = new Set(owned.map((p) => p.owner));
    let first = 1;
    const ctes = tables.map((table, i) => {
      const insert = insertSql(table, first);
      first += table.types.length;
      if (i === 0)
        return (
          `p0 AS (${insert} ` +
          `ON CONFLICT (${head.conflict.map((c) => driver.escape(c)).join(', ')}) DO NOTHING RETURNING id)`
        );
      const part = owned[i - 1];
      return (
        `p${i} AS (${insert} WHERE u.${driver.escape(part.column)} IN (SELECT id FROM p${part.owner})` +
        `${owners.has(i) ? ' RETURNING id' : ''})`
      );
    });
    return `WITH ${ctes.join(', ')} SELECT id FROM p0`;
  });
  const params: unknown[] = [];
  pushArrays(tables[0], head.rows, params);
  owned.forEach((p, i) => pushArrays(tables[i + 1], p.rows, params));
  const rows = await query(em, sql, params, false);
  return new Set(rows.map((r) => r.id as string));
}

/**
 * A statement's SQL by the shape of what it writes, built once (and so hashed once where it names the statement),
 * kept by the table that heads it: with its data source's metadata, not for the process.
 */
function statement(head: ArrayTable, key: string, build: () => string): string {
  let sql = head.statements.get(key);
  if (!sql) head.statements.set(key, (sql = build()));
  return sql;
}

export async function pgInsertTasks(em: EntityManager, rows: TaskRow[], chunk: number): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk)
    await pgInsertRows(em, { entity: TaskRunEntity, rows: rows.slice(i, i + chunk) });
}

type EventRow = TaskEventDraft & { id: string };
const EVENT_COLUMNS: Array<[string, string, (e: EventRow) => unknown]> = [
  ['id', 'varchar', (e) => e.id],
  ['task_run_id', 'varchar', (e) => e.taskRunId],
  ['from_status', 'varchar', (e) => e.fromStatus],
  ['to_status', 'varchar', (e) => e.toStatus],
  ['actor', 'varchar', (e) => e.actor],
  ['reason', 'varchar', (e) => e.reason],
  ['dispatch_id', 'varchar', (e) => e.dispatchId],
  ['detail', 'text', (e) => str(e.detail)],
  ['at', 'numeric', (e) => e.at],
];
/**
 * Task updates (version-checked) and their events in one statement. If any row lost its race the
 * statement fails on purpose (22012), so PostgreSQL rolls all of it back: nothing half-written.
 * Only the columns that some row of the batch changes are sent (a claim and a callback touch about half).
 */
const COMMIT_SQL = (columns: typeof MUTABLE, base: number) =>
  `WITH v AS (
    SELECT * FROM unnest($1::varchar[], $2::int[], ${columns.map(([, type], i) => `$${i + 3}::${type}[]`).join(', ')})
      AS v(id, expected, ${columns.map(([c]) => c).join(', ')})),
  u AS (UPDATE task_run t SET ${columns.map(([c]) => `${c} = v.${c}`).join(', ')}, version = t.version + 1
        FROM v WHERE t.id = v.id AND t.version = v.expected RETURNING t.id),
  e AS (INSERT INTO task_event (${EVENT_COLUMNS.map(([c]) => c).join(', ')})
        SELECT * FROM unnest(${EVENT_COLUMNS.map(([, type], i) => `$${base + i}::${type}[]`).join(', ')}) RETURNING 1)
  SELECT CASE WHEN count(*) = $${base + EVENT_COLUMNS.length}::int THEN count(*) ` +
  `ELSE 1 / (count(*) - count(*)) END AS won,
         (SELECT count(*) FROM e) AS events FROM u`;

const sqlByColumns = new Map<string, string>();

export async function pgCommit(
  em: EntityManager,
  rows: Array<{ row: TaskRow; expectedVersion: number; before?: TaskRow }>,
  events: EventRow[],
): Promise<boolean> {
  const columns = MUTABLE.filter(
    ([c, , get]) => c === UPDATED_AT || rows.some((r) => !r.before || get(r.row) !== get(r.before)),
  );
  const key = columns.map(([c]) => c).join(',');
  const base = 3 + columns.length;
  let sql = sqlByColumns.get(key);
  if (!sql) sqlByColumns.set(key, (sql = COMMIT_SQL(columns, base)));
  const params: unknown[] = [
    pgArray(rows.map((r) => r.row.id)),
    pgArray(rows.map((r) => r.expectedVersion)),
    ...columns.map(([, , get]) => pgArray(rows.map((r) => get(r.row)))),
    ...EVENT_COLUMNS.map(([, , get]) => pgArray(events.map(get))),
    rows.length,
  ];
  try {
    await query(em, sql, params);
    return true;
  } catch (err) {
    if (
      (err as { code?: string; driverError?: { code?: string } }).driverError?.code === '22012' ||
      (err as { code?: string }).code === '22012'
    )
      return false;
    throw err;
  }
}

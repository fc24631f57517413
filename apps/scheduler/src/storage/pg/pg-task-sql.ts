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

export type Part = { entity: EntityTarget<ObjectLiteral>; rows: object[] };

/**
 * `INSERT INTO table (columns) SELECT * FROM unnest($n::type[], …) AS u(columns)`, columns and values from the
 * entity's metadata; `u.<column>` names a value of the row for a WHERE the caller appends.
 */
export function insertFromArrays(em: EntityManager, { entity, rows }: Part, params: string[]): string {
  const driver = em.connection.driver;
  const meta = em.connection.getMetadata(entity);
  const columns = meta.columns;
  const names = columns.map((c) => driver.escape(c.databaseName)).join(', ');
  const sql =
    `INSERT INTO ${driver.escape(meta.tableName)} (${names})
    SELECT * FROM unnest(${columns.map((c, i) => `$${params.length + i + 1}::${pgType(c)}[]`).join(', ')}) ` +
    `AS u(${names})`;
  for (const c of columns) {
    params.push(
      pgArray(
        rows.map((r) => {
          const value = c.getEntityValue(r);
          // TypeORM's insert would write a column's DEFAULT for a missing value; an array can only say NULL.
          if (value === undefined && c.default !== undefined)
            throw new Error(`${meta.tableName}.${c.databaseName}: a value is required here`);
          return driver.preparePersistentValue(value, c);
        }),
      ),
    );
  }
  return sql;
}

/** Rows of one entity (tasks), written by one statement from one array per column. */
export async function pgInsertRows(em: EntityManager, part: Part): Promise<void> {
  if (!part.rows.length) return;
  const params: string[] = [];
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
  const params: string[] = [];
  const driver = em.connection.driver;
  const ctes = [
    `h AS (${insertFromArrays(em, head, params)} ` +
      `ON CONFLICT (${head.conflict.map((c) => driver.escape(c)).join(', ')}) DO NOTHING RETURNING 1)`,
  ];
  for (const part of rest)
    if (part.rows.length)
      ctes.push(`i${ctes.length} AS (${insertFromArrays(em, part, params)} WHERE EXISTS (SELECT 1 FROM h))`);
  const rows = await query(em, `WITH ${ctes.join(', ')} SELECT count(*)::int AS n FROM h`, params, false);
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
  const params: string[] = [];
  const driver = em.connection.driver;
  const ctes = [
    `p0 AS (${insertFromArrays(em, head, params)} ` +
      `ON CONFLICT (${head.conflict.map((c) => driver.escape(c)).join(', ')}) DO NOTHING RETURNING id)`,
  ];
  const owners = new Set(owned.map((p) => p.owner));
  for (const part of owned)
    ctes.push(
      `p${ctes.length} AS (${insertFromArrays(em, part, params)} ` +
        `WHERE u.${driver.escape(part.column)} IN (SELECT id FROM p${part.owner})` +
        `${owners.has(ctes.length) ? ' RETURNING id' : ''})`,
    );
  const rows = await query(em, `WITH ${ctes.join(', ')} SELECT id FROM p0`, params, false);
  return new Set(rows.map((r) => r.id as string));
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

import { type DatasetSpec, keyColumns } from '#ferry/datasets';
import { copyLine, CopyIn, q } from '#ferry/sql';
import { CHANGED_COLUMN, GEN_COLUMN, pgArrayType } from '../datasets/target-table.js';
import type { Conn } from './conn.js';
import type { Cell } from './mapping.js';
import { oracleLoader } from './oracle-loader.js';

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** Writes mapped rows; runs inside the caller's transaction. Rows of one call have distinct keys. */
export interface Loader {
  /** `gen`: the snapshot marker to stamp on every row seen (null in changes files). */
  upsert(rows: Cell[][], gen: number | null): Promise<UpsertCounts>;
  delete(keys: Cell[][]): Promise<number>;
  /** Deletes the rows the snapshot `gen` did not contain. */
  purge(gen: number): Promise<number>;
}

export function createLoader(conn: Conn, spec: DatasetSpec): Loader {
  if (conn.type === 'postgres') return pgLoader(conn, spec);
  return conn.type === 'oracle' ? oracleLoader(conn, spec) : genericLoader(conn, spec);
}

/**
 * PostgreSQL (docs/architecture.md, Performance): each batch is COPYed into a session-local staging
 * table and merged with one INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE … IS DISTINCT FROM, so
 * unchanged rows are not rewritten, and RETURNING (xmax = 0) tells inserts from updates; the counts
 * are summed in SQL so no row travels back. The SET also records whether the data changed, since a
 * row may be touched only to stamp the snapshot marker.
 */
function pgLoader(conn: Conn, spec: DatasetSpec): Loader {
  const cols = spec.mapping.columns;
  const keySet = new Set(keyColumns(spec).map((c) => c.name));
  const keys = keyColumns(spec).map((c) => q(c.name));
  const names = cols.map((c) => q(c.name));
  const data = cols.filter((c) => !keySet.has(c.name)).map((c) => q(c.name));
  const cmp = data.length ? data : names;
  const table = q(spec.mapping.table);
  const stage = q(`_ferry_stage_${spec.mapping.table}`.slice(0, 63));
  const distinct =
    `ROW(${cmp.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM ` +
    `ROW(${cmp.map((c) => `excluded.${c}`).join(', ')})`;
  const gen = q(GEN_COLUMN);
  const chg = q(CHANGED_COLUMN);
  const mergeSql =
    `WITH m AS (INSERT INTO ${table} AS t (${names.join(', ')}, ${gen}, ${chg}) ` +
    `SELECT ${names.join(', ')}, $1::bigint, 0 FROM ${stage} ` +
    `ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${data
      .map((c) => `${c} = excluded.${c}`)
      .concat(`${gen} = COALESCE(excluded.${gen}, t.${gen})`, `${chg} = CASE WHEN ${distinct} THEN 1 ELSE 0 END`)
      .join(', ')} ` +
    `WHERE ${distinct} OR (excluded.${gen} IS NOT NULL AND t.${gen} IS DISTINCT FROM excluded.${gen}) ` +
    `RETURNING (xmax = 0) AS ins, ${chg} AS chg) ` +
    `SELECT count(*) FILTER (WHERE ins)::int AS ins, count(*) FILTER (WHERE NOT ins AND chg = 1)::int AS upd FROM m`;
  const keyTypes = keyColumns(spec).map((c) => pgArrayType(c.type, true));
  const deleteSql =
    `DELETE FROM ${table} WHERE (${keys.join(', ')}) IN ` +
    `(SELECT * FROM unnest(${keyTypes.map((t, i) => `$${i + 1}::${t}`).join(', ')}))`;
  const columnsOf = (rows: Cell[][], width: number) => Array.from({ length: width }, (_, i) => rows.map((r) => r[i]));
  const client = conn.pg!;
  return {
    async upsert(rows, g) {
      if (rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
      // Temporary: private to this connection, unlogged, and gone with it. Without the target's
      // indexes, so loading it costs little more than the COPY itself.
      // Asked every batch: a rolled-back first transaction (a cancelled job) takes the table with it.
      await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${stage} (LIKE ${table} INCLUDING DEFAULTS)`);
      await client.query(`TRUNCATE ${stage}`);
      const copy = CopyIn.open(client, `COPY ${stage} (${names.join(', ')}) FROM STDIN`);
      let chunk = '';
      for (const row of rows) chunk += copyLine(row);
      await copy.write(chunk);
      await copy.end();
      const res = await client.query(mergeSql, [g]);
      const { ins, upd } = res.rows[0] as { ins: number; upd: number };
      return { inserted: ins, updated: upd, unchanged: rows.length - ins - upd };
    },
    async delete(keyRows) {
      if (keyRows.length === 0) return 0;
      return (await client.query(deleteSql, columnsOf(keyRows, keys.length))).rowCount ?? 0;
    },
    async purge(g) {
      return (await client.query(`DELETE FROM ${table} WHERE ${gen} IS DISTINCT FROM $1`, [g])).rowCount ?? 0;
    },
  };
}

/** Row by row with prepared statements: plain SQL every database has; exact, if not the fastest. */
function genericLoader(conn: Conn, spec: DatasetSpec): Loader {
  const cols = spec.mapping.columns;
  const keyCols = keyColumns(spec);
  const keyIdx = keyCols.map((k) => cols.indexOf(k));
  const dataIdx = cols.map((_, i) => i).filter((i) => !keyIdx.includes(i));
  const table = q(spec.mapping.table);
  const gen = q(GEN_COLUMN);
  const where = keyCols.map((k) => `${q(k.name)} = ?`).join(' AND ');
  const selectSql = `SELECT ${cols.map((c) => q(c.name)).join(', ')}, ${gen} AS g FROM ${table} WHERE ${where}`;
  const insertSql =
    `INSERT INTO ${table} (${cols.map((c) => q(c.name)).join(', ')}, ${gen}) VALUES ` +
    `(${cols.map(() => '?').join(', ')}, ?)`;
  const updateSql =
    `UPDATE ${table} SET ${dataIdx.map((i) => `${q(cols[i].name)} = ?, `).join('')}${gen} = ` +
    `COALESCE(?, ${gen}) WHERE ${where}`;
  const touchSql = `UPDATE ${table} SET ${gen} = ? WHERE ${where}`;
  const deleteSql = `DELETE FROM ${table} WHERE ${where}`;
  // Booleans are stored as 0/1 where the database has no boolean type.
  const norm = (v: Cell) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);
  return {
    async upsert(rows, g) {
      const out = { inserted: 0, updated: 0, unchanged: 0 };
      for (const row of rows) {
        const key = keyIdx.map((i) => row[i]);
        const [existing] = await conn.query(selectSql, key);
        if (!existing) {
          await conn.exec(insertSql, [...row, g]);
          out.inserted++;
        } else if (cols.some((c, i) => norm(existing[c.name] as Cell) !== norm(row[i]))) {
          await conn.exec(updateSql, [...dataIdx.map((i) => row[i]), g, ...key]);
          out.updated++;
        } else {
          if (g !== null && Number(existing.g) !== g) await conn.exec(touchSql, [g, ...key]);
          out.unchanged++;
        }
      }
      return out;
    },
    async delete(keyRows) {
      let n = 0;
      for (const key of keyRows) n += await conn.exec(deleteSql, key);
      return n;
    },
    purge: (g) => conn.exec(`DELETE FROM ${table} WHERE ${gen} IS NULL OR ${gen} <> ?`, [g]),
  };
}

import { type ColumnType, type DatasetSpec, keyColumns } from '#ferry/datasets';
import { q } from '#ferry/sql';
import { CHANGED_COLUMN, GEN_COLUMN } from '../datasets/target-table.js';
import type { Conn } from './conn.js';
import type { Loader } from './loaders.js';

/** Each source value is cast, so that a NULL in the first row cannot type a column of the UNION. */
const CAST: Record<ColumnType, string> = {
  string: 'VARCHAR2(4000)',
  integer: 'NUMBER(19)',
  timestamp: 'NUMBER(19)',
  number: 'NUMBER',
  boolean: 'NUMBER(1)',
};

/** Oracle allows 1,000 expressions in an IN list; the bind budget keeps statements small to parse. */
const IN_LIST_MAX = 1000;

/**
 * Oracle: each batch is one MERGE from its rows (SELECT … FROM dual UNION ALL …), updating a matched
 * row only when its data changed (DECODE compares NULLs as equal) or the snapshot marker must move.
 * A MERGE reports only its total, so a read of the same rows just before it tells the counts apart:
 * matched rows are updates when their data differs and unchanged otherwise, the rest are inserts.
 * `maxBinds` bounds the bind variables of one statement (rows are split across statements).
 */
export function oracleLoader(conn: Conn, spec: DatasetSpec, maxBinds = 2000): Loader {
  const cols = spec.mapping.columns;
  const keyCols = keyColumns(spec);
  const keySet = new Set(keyCols.map((c) => c.name));
  const names = cols.map((c) => q(c.name));
  const keys = keyCols.map((c) => q(c.name));
  const data = cols.filter((c) => !keySet.has(c.name)).map((c) => q(c.name));
  const cmp = data.length ? data : names;
  const table = q(spec.mapping.table);
  const gen = q(GEN_COLUMN);
  const chg = q(CHANGED_COLUMN);
  const on = keys.map((k) => `t.${k} = s.${k}`).join(' AND ');
  const distinct = `(${cmp.map((c) => `DECODE(t.${c}, s.${c}, 0, 1)`).join(' + ')}) > 0`;
  const g = 'CAST(? AS NUMBER(19))';
  const source = (n: number) =>
    Array.from(
      { length: n },
      (_, r) =>
        `SELECT ${cols.map((c, i) => `CAST(? AS ${CAST[c.type]})${r ? '' : ` AS ${names[i]}`}`).join(', ')} FROM dual`,
    ).join(' UNION ALL ');
  const countSql = (n: number) =>
    `SELECT COUNT(*) AS "n", COALESCE(SUM(CASE WHEN ${distinct} THEN 1 ELSE 0 END), 0) AS "c" ` +
    `FROM ${table} t JOIN (${source(n)}) s ON (${on})`;
  const mergeSql = (n: number) =>
    `MERGE INTO ${table} t USING (${source(n)}) s ON (${on}) ` +
    `WHEN MATCHED THEN UPDATE SET ${data
      .map((c) => `t.${c} = s.${c}`)
      .concat(`t.${gen} = COALESCE(${g}, t.${gen})`, `t.${chg} = CASE WHEN ${distinct} THEN 1 ELSE 0 END`)
      .join(', ')} ` +
    `WHERE ${distinct} OR (${g} IS NOT NULL AND DECODE(t.${gen}, ${g}, 0, 1) = 1) ` +
    `WHEN NOT MATCHED THEN INSERT (${names.join(', ')}, ${gen}, ${chg}) ` +
    `VALUES (${names.map((c) => `s.${c}`).join(', ')}, ${g}, 0)`;
  const deleteSql = (n: number) =>
    keys.length === 1
      ? `DELETE FROM ${table} WHERE ${keys[0]} IN (${Array(n).fill('?').join(', ')})`
      : `DELETE FROM ${table} WHERE (${keys.join(', ')}) IN (${Array(n)
          .fill(`(${keys.map(() => '?').join(', ')})`)
          .join(', ')})`;
  const rowsPerMerge = Math.max(1, Math.floor((maxBinds - 4) / cols.length));
  const keysPerDelete = Math.max(1, Math.min(IN_LIST_MAX, Math.floor(maxBinds / keys.length)));
  return {
    async upsert(rows, stamp) {
      const out = { inserted: 0, updated: 0, unchanged: 0 };
      for (const part of chunks(rows, rowsPerMerge)) {
        const values = part.flat();
        const [counts] = await conn.query(countSql(part.length), values);
        const matched = Number(counts.n);
        const changed = Number(counts.c);
        await conn.exec(mergeSql(part.length), [...values, stamp, stamp, stamp, stamp]);
        out.inserted += part.length - matched;
        out.updated += changed;
        out.unchanged += matched - changed;
      }
      return out;
    },
    async delete(keyRows) {
      let n = 0;
      // Key rows hold the key cells only, in key order (mapping.mapKey).
      for (const part of chunks(keyRows, keysPerDelete)) n += await conn.exec(deleteSql(part.length), part.flat());
      return n;
    },
    purge: (stamp) => conn.exec(`DELETE FROM ${table} WHERE ${gen} IS NULL OR ${gen} <> ?`, [stamp]),
  };
}

function chunks<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

import { describe, expect, it } from '@jest/globals';
import type { DatasetSpec } from '#ferry/datasets';
import { dialect } from '#ferry/sql';
import type { Conn, Row } from './conn.js';
import { oracleLoader } from './oracle-loader.js';

/** A key, a string and a number: small enough to read the statements whole. */
const spec = (key: string[] = ['id']): DatasetSpec => ({
  name: 'items',
  schema: {},
  key,
  mapping: {
    table: 'items',
    columns: [
      { name: 'id', type: 'string' },
      { name: 'region', type: 'string' },
      { name: 'price', type: 'number' },
    ],
  },
});

/** Records every statement (as Oracle would run it, `:n` binds) and answers the count read with `counts`. */
function fakeConn(counts: Row[] = [], affected: number[] = []) {
  const calls: Array<{ sql: string; params: unknown[] }> = [];
  const conn: Conn = {
    type: 'oracle',
    query: async (sql, params = []) => {
      calls.push({ sql: dialect(sql, 'oracle'), params });
      return [counts.shift() ?? { n: 0, c: 0 }];
    },
    exec: async (sql, params = []) => {
      calls.push({ sql: dialect(sql, 'oracle'), params });
      return affected.shift() ?? 0;
    },
    tx: (fn) => fn(),
    close: async () => undefined,
  };
  return { conn, calls };
}

const SOURCE_2 =
  'SELECT CAST(:1 AS VARCHAR2(4000)) AS "id", CAST(:2 AS VARCHAR2(4000)) AS "region", ' +
  'CAST(:3 AS NUMBER) AS "price" FROM dual ' +
  'UNION ALL SELECT CAST(:4 AS VARCHAR2(4000)), CAST(:5 AS VARCHAR2(4000)), CAST(:6 AS NUMBER) FROM dual';
const DISTINCT = '(DECODE(t."region", s."region", 0, 1) + DECODE(t."price", s."price", 0, 1)) > 0';

describe('oracleLoader', () => {
  it('reads which rows exist and differ, then merges them in one statement', async () => {
    const { conn, calls } = fakeConn([{ n: 1, c: 1 }], [2]);
    const rows = [
      ['a', 'eu', 1.5],
      ['b', null, 2],
    ];
    expect(await oracleLoader(conn, spec()).upsert(rows, 7)).toEqual({ inserted: 1, updated: 1, unchanged: 0 });
    expect(calls.map((c) => c.sql)).toEqual([
      `SELECT COUNT(*) AS "n", COALESCE(SUM(CASE WHEN ${DISTINCT} THEN 1 ELSE 0 END), 0) AS "c" ` +
        `FROM "items" t JOIN (${SOURCE_2}) s ON (t."id" = s."id")`,
      `MERGE INTO "items" t USING (${SOURCE_2}) s ON (t."id" = s."id") ` +
        'WHEN MATCHED THEN UPDATE SET t."region" = s."region", t."price" = s."price", ' +
        't."_ferry_gen" = COALESCE(CAST(:7 AS NUMBER(19)), t."_ferry_gen"), ' +
        `t."_ferry_chg" = CASE WHEN ${DISTINCT} THEN 1 ELSE 0 END ` +
        `WHERE ${DISTINCT} OR (CAST(:8 AS NUMBER(19)) IS NOT NULL ` +
        'AND DECODE(t."_ferry_gen", CAST(:9 AS NUMBER(19)), 0, 1) = 1) ' +
        'WHEN NOT MATCHED THEN INSERT ("id", "region", "price", "_ferry_gen", "_ferry_chg") ' +
        'VALUES (s."id", s."region", s."price", CAST(:10 AS NUMBER(19)), 0)',
    ]);
    expect(calls[0].params).toEqual(['a', 'eu', 1.5, 'b', null, 2]);
    expect(calls[1].params).toEqual(['a', 'eu', 1.5, 'b', null, 2, 7, 7, 7, 7]);
  });

  it('counts matched rows whose data is the same as unchanged, and a changes file stamps no marker', async () => {
    const { conn, calls } = fakeConn([{ n: 3, c: 1 }]);
    const rows = [
      ['a', 'eu', 1],
      ['b', 'us', 2],
      ['c', 'ap', 3],
    ];
    expect(await oracleLoader(conn, spec()).upsert(rows, null)).toEqual({ inserted: 0, updated: 1, unchanged: 2 });
    expect(calls[1].params.slice(-4)).toEqual([null, null, null, null]);
  });

  it('splits a batch so that no statement has more binds than allowed, and adds up the counts', async () => {
    // 3 columns and 4 marker binds: 10 binds hold 2 rows per statement.
    const { conn, calls } = fakeConn([
      { n: 2, c: 0 },
      { n: 0, c: 0 },
      { n: 1, c: 1 },
    ]);
    const rows = ['a', 'b', 'c', 'd', 'e'].map((id) => [id, 'eu', 1]);
    expect(await oracleLoader(conn, spec(), 10).upsert(rows, 1)).toEqual({ inserted: 2, updated: 1, unchanged: 2 });
    expect(calls.filter((c) => c.sql.startsWith('MERGE')).map((c) => c.params.length)).toEqual([10, 10, 7]);
  });

  it('answers zero for an empty batch without a statement', async () => {
    const { conn, calls } = fakeConn();
    expect(await oracleLoader(conn, spec()).upsert([], 1)).toEqual({ inserted: 0, updated: 0, unchanged: 0 });
    expect(calls).toEqual([]);
  });

  it('deletes by key lists, composite keys as tuples, and reports the rows it removed', async () => {
    const single = fakeConn([], [2]);
    expect(await oracleLoader(single.conn, spec()).delete([['a'], ['b'], ['c']])).toBe(2);
    expect(single.calls).toEqual([{ sql: 'DELETE FROM "items" WHERE "id" IN (:1, :2, :3)', params: ['a', 'b', 'c'] }]);

    const composite = fakeConn([], [1, 1]);
    const keys = [
      ['a', 'eu'],
      ['b', 'us'],
      ['c', 'ap'],
    ];
    expect(await oracleLoader(composite.conn, spec(['id', 'region']), 4).delete(keys)).toBe(2);
    expect(composite.calls).toEqual([
      { sql: 'DELETE FROM "items" WHERE ("id", "region") IN ((:1, :2), (:3, :4))', params: ['a', 'eu', 'b', 'us'] },
      { sql: 'DELETE FROM "items" WHERE ("id", "region") IN ((:1, :2))', params: ['c', 'ap'] },
    ]);
  });

  it('compares a key-only table on its key, and purges what the snapshot did not stamp', async () => {
    const keyOnly: DatasetSpec = { ...spec(), mapping: { table: 'tags', columns: [{ name: 'id', type: 'string' }] } };
    const { conn, calls } = fakeConn([{ n: 0, c: 0 }], [1, 4]);
    await oracleLoader(conn, keyOnly).upsert([['a']], 3);
    expect(calls[1].sql).toContain('WHEN MATCHED THEN UPDATE SET t."_ferry_gen" = COALESCE(');
    expect(calls[1].sql).toContain('WHERE (DECODE(t."id", s."id", 0, 1)) > 0 OR');
    expect(await oracleLoader(conn, keyOnly).purge(3)).toBe(4);
    expect(calls[2]).toEqual({
      sql: 'DELETE FROM "tags" WHERE "_ferry_gen" IS NULL OR "_ferry_gen" <> :1',
      params: [3],
    });
  });
});

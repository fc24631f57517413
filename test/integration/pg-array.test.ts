import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { TEST_PG_URL } from '#ferry/testing';
import { pgArray } from '../../apps/scheduler/src/storage/pg/pg-task-sql.js';

// The task store's array literals, read back by a real PostgreSQL: whatever the text, it arrives as sent.
describe('pgArray on PostgreSQL', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
  });
  afterAll(async () => client?.end());

  it('text: quotes, backslashes, braces, commas, NULL as a word, empty, unicode, JSON, and real NULLs', async () => {
    const values = [
      'plain',
      'with "quotes"',
      'back\\slash',
      '\\"both\\"',
      '{braces}',
      'a,b',
      'NULL',
      '',
      ' spaced ',
      'ünïcødé ✓',
      JSON.stringify({ message: 'a "quoted" \\ path', n: 1 }),
      null,
      undefined,
      'line\nbreak',
    ];
    const { rows } = await client.query('SELECT $1::text[] AS a', [pgArray(values)]);
    expect(rows[0].a).toEqual(values.map((v) => v ?? null));
  });

  it('numbers: integers, millisecond timestamps, fractions; a non-finite number is NULL', async () => {
    const { rows } = await client.query('SELECT $1::numeric[]::text[] AS a, $2::int[] AS b', [
      pgArray([1767000000123, 0, -5, 2.5, Number.NaN]),
      pgArray([1, 2, null]),
    ]);
    expect(rows[0].a).toEqual(['1767000000123', '0', '-5', '2.5', null]);
    expect(rows[0].b).toEqual([1, 2, null]);
  });
});

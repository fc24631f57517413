import { describe, expect, it } from '@jest/globals';
import { redactParameters, SqlLogger } from './sql-logger.js';

const ID = '01923456-789a-7abc-8def-0123456789ab';

describe('SqlLogger', () => {
  it('logs queries with their parameters redacted, except numbers, nulls, ids and status words', () => {
    const lines: Array<[string, string]> = [];
    const logger = new SqlLogger(true, (level, line) => lines.push([level, line]));
    logger.logQuery('UPDATE "auth_profile" SET "secret_material" = ? WHERE "name" = ? AND "version" = ?', [
      '"v1:k1:abc:def:ghi"',
      'billing-signer',
      3,
    ]);
    logger.logQuery('SELECT 1 WHERE a = $1 AND b = $2 AND c = $3', [ID, 'PENDING', null]);
    logger.logQueryError('boom', 'INSERT INTO t VALUES (?)', ['hunter2-hunter2-hunter2']);
    expect(lines).toEqual([
      [
        'log',
        'query: UPDATE "auth_profile" SET "secret_material" = ? WHERE "name" = ? AND "version" = ? ' +
          '-- PARAMETERS: ["[REDACTED]","[REDACTED]",3]',
      ],
      ['log', `query: SELECT 1 WHERE a = $1 AND b = $2 AND c = $3 -- PARAMETERS: ["${ID}","PENDING",null]`],
      ['error', 'query failed: INSERT INTO t VALUES (?) -- PARAMETERS: ["[REDACTED]"]'],
      ['error', 'error: boom'],
    ]);
  });

  it('writes no query when logging is off', () => {
    const lines: string[] = [];
    new SqlLogger(false, (_level, line) => lines.push(line)).logQuery('SELECT 1', ['x']);
    expect(lines).toEqual([]);
  });

  it('redacts named parameters, objects and long upper-case words too', () => {
    expect(redactParameters({ a: 'secret', b: 2, c: { k: 'v' }, d: 'ABCDEFGHIJKLMNOPQ', e: true })).toEqual({
      a: '[REDACTED]',
      b: 2,
      c: '[REDACTED]',
      d: '[REDACTED]',
      e: true,
    });
  });
});

import { describe, expect, it } from '@jest/globals';
import { demoDatasetSpec, demoRecord } from '#ferry/datasets';
import { cast, compileMapping } from './mapping.js';

describe('compileMapping', () => {
  const mapping = compileMapping(demoDatasetSpec());

  it('renames, casts, defaults, sets constants and drops unmapped fields', () => {
    const record: Record<string, unknown> = { ...demoRecord(10), tier: undefined, balance: '1234' };
    const result = mapping.map(record);
    expect(result).toEqual({
      ok: true,
      row: [
        'c-10',
        'Customer 10',
        'customer10@example.com',
        1234,
        record.active,
        'standard',
        Date.parse(String(record.updatedAt)),
        'ferry-demo',
      ],
    });
    expect(mapping.columns.map((c) => c.name)).not.toContain('note');
    expect(mapping.keyIndex).toEqual([0]);
  });

  it('uses null for a missing optional field without a default', () => {
    const result = mapping.map(demoRecord(4));
    expect(result.ok && result.row[2]).toBeNull();
  });

  it('rejects a record whose values cannot be cast, with every reason', () => {
    expect(mapping.map({ ...demoRecord(1), balance: 'abc', updatedAt: 'yesterday' })).toEqual({
      ok: false,
      reasons: ['balance: cannot cast "abc" to integer', 'updatedAt: cannot cast "yesterday" to timestamp'],
    });
  });

  it('maps only the key for deletes and rejects a delete without a key', () => {
    expect(mapping.mapKey({ id: 'c-5', op: 'delete' })).toEqual({ ok: true, row: ['c-5'] });
    expect(mapping.mapKey({ op: 'delete' })).toEqual({ ok: false, reasons: ['id: the key is missing'] });
  });
});

describe('cast', () => {
  it.each([
    ['42', 'integer', 42],
    [4.5, 'integer', undefined],
    ['9007199254740993', 'integer', undefined],
    [1, 'boolean', true],
    ['false', 'boolean', false],
    ['yes', 'boolean', undefined],
    [12, 'string', '12'],
    [{}, 'string', undefined],
    ['1.5', 'number', 1.5],
    ['', 'number', undefined],
    ['2026-01-01T00:00:00.000Z', 'timestamp', 1767225600000],
  ] as const)('%p as %s → %p', (value, type, expected) => {
    expect(cast(value, type)).toBe(expected);
  });
});

import { describe, expect, it } from '@jest/globals';
import { checkDatasetSpec } from './dataset.js';
import { demoDatasetSpec } from './demo.js';
import { checkRecordSchema, RECORD_SCHEMA_LIMITS } from './schema-guard.js';

const paths = (schema: unknown) => checkRecordSchema(schema).map((p) => p.path);

/** A schema `levels` records deep: each level one more `properties.child`. */
function nested(levels: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < levels; i++) schema = { type: 'object', properties: { child: schema } };
  return schema;
}

describe('checkRecordSchema', () => {
  it('passes the demo schema, local references, draft-07 and annotations', () => {
    expect(checkRecordSchema(demoDatasetSpec().schema)).toEqual([]);
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      definitions: { money: { type: 'integer', minimum: 0 } },
      type: 'object',
      properties: {
        a: { $ref: '#/definitions/money', description: 'cents' },
        b: { anyOf: [{ type: 'null' }, { $ref: '#' }] },
        c: { type: 'array', items: [{ type: 'string' }, true], additionalItems: false },
      },
      patternProperties: { '^x-': { type: 'string' } },
      dependencies: { a: ['b'], c: { required: ['a'] } },
      if: { required: ['a'] },
      then: { required: ['b'] },
    };
    expect(checkRecordSchema(schema)).toEqual([]);
  });

  it('refuses remote references, wherever they sit', () => {
    const schema = {
      type: 'object',
      properties: {
        a: { $ref: 'http://attacker.example/s.json' },
        b: { allOf: [{ $ref: 'other.json#/x' }] },
        c: { items: { $ref: 'urn:x' } },
      },
    };
    expect(paths(schema)).toEqual([
      'schema.properties.a.$ref',
      'schema.properties.b.allOf[0].$ref',
      'schema.properties.c.items.$ref',
    ]);
    expect(checkRecordSchema(schema)[0].problem).toMatch(/only local references/);
  });

  it('refuses $id, other drafts and keywords outside the allow-list', () => {
    expect(checkRecordSchema({ $id: 'http://attacker.example/a', type: 'object' })).toEqual([
      { path: 'schema.$id', problem: expect.stringMatching(/not allowed/) },
    ]);
    expect(paths({ properties: { a: { $id: '#a' } } })).toEqual(['schema.properties.a.$id']);
    expect(paths({ $schema: 'https://json-schema.org/draft/2020-12/schema' })).toEqual(['schema.$schema']);
    expect(paths({ properties: { a: { $schema: 'http://json-schema.org/draft-07/schema#' } } })).toEqual([
      'schema.properties.a.$schema',
    ]);
    expect(paths({ $async: true, properties: { a: { $dynamicRef: '#x', unevaluatedProperties: false } } })).toEqual([
      'schema.$async',
      'schema.properties.a.$dynamicRef',
      'schema.properties.a.unevaluatedProperties',
    ]);
  });

  it('refuses a schema nested past the depth limit, and one over the size limit', () => {
    expect(checkRecordSchema(nested(RECORD_SCHEMA_LIMITS.maxDepth / 2 - 1))).toEqual([]);
    expect(checkRecordSchema(nested(RECORD_SCHEMA_LIMITS.maxDepth / 2))).toEqual([
      { path: 'schema', problem: `is nested more than ${RECORD_SCHEMA_LIMITS.maxDepth} levels deep` },
    ]);
    // Far deeper than any recursive check could go: still answered, not a stack overflow.
    let deep: unknown = {};
    for (let i = 0; i < 200_000; i++) deep = { not: deep };
    expect(paths(deep)).toEqual(['schema']);
    const huge = { type: 'object', description: 'x'.repeat(RECORD_SCHEMA_LIMITS.maxBytes) };
    expect(checkRecordSchema(huge)).toEqual([{ path: 'schema', problem: expect.stringMatching(/bytes as JSON/) }]);
  });

  it('refuses over-long and invalid patterns, and values that are not schemas', () => {
    expect(paths({ properties: { a: { pattern: 'a'.repeat(RECORD_SCHEMA_LIMITS.maxPatternLength + 1) } } })).toEqual([
      'schema.properties.a.pattern',
    ]);
    expect(paths({ patternProperties: { '(': {} } })).toEqual(['schema.patternProperties.(']);
    expect(paths({ properties: { a: 5 }, allOf: {} })).toEqual(['schema.properties.a', 'schema.allOf']);
    expect(paths([])).toEqual(['schema']);
  });

  it('is part of the dataset definition check', () => {
    const spec = demoDatasetSpec();
    expect(checkDatasetSpec(spec)).toEqual([]);
    expect(checkDatasetSpec({ ...spec, schema: { $ref: 'http://attacker.example/' } }).map((p) => p.path)).toEqual([
      'schema.$ref',
    ]);
  });
});

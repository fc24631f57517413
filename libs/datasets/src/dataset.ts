import type { ErrorDetail } from '#ferry/errors';
import { checkRecordSchema } from './schema-guard.js';

/** The types a mapped column may have; `timestamp` is stored as epoch milliseconds. */
export type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'timestamp';

/**
 * One target column. `from` renames (defaults to `name`), `type` casts, `default` fills a missing
 * or null source value, `constant` ignores the record. Source fields no column reads are dropped;
 * `drop` lists them explicitly so a reviewer sees they are left out on purpose.
 */
export interface ColumnMapping {
  name: string;
  from?: string;
  type: ColumnType;
  default?: string | number | boolean;
  constant?: string | number | boolean;
}

export interface DatasetMapping {
  /** Target table in the consumer's database. */
  table: string;
  columns: ColumnMapping[];
  drop?: string[];
}

/**
 * An HTTP endpoint that takes the dataset's records instead of its table (docs/contract-additions.md,
 * "Record sink"). Credentials are never here: `authProfile` names an API key the consumer's
 * configuration holds.
 */
export interface HttpSinkSpec {
  type: 'http';
  url: string;
  /** Records per request (default 1). */
  batch?: number;
  /** Requests per second for this URL, shared by every worker thread and consumer instance. */
  ratePerSecond?: number;
  authProfile?: string;
}

/** What a provider stores and serves at GET /api/v1/datasets/{name}. */
export interface DatasetSpec {
  name: string;
  /** JSON Schema of one record (without the `op` member of changes files). */
  schema: Record<string, unknown>;
  /** Primary key, as source field names. */
  key: string[];
  mapping: DatasetMapping;
  /** Where records go when not into `mapping.table` (the table is still created, and stays empty). */
  sink?: HttpSinkSpec;
}

export interface DatasetDefinition extends DatasetSpec {
  schemaVersion: number;
  createdAt: string;
  updatedAt: string;
}

const ident = { type: 'string', pattern: '^[a-z][a-z0-9_]{0,29}$' } as const;
const scalar = { type: ['string', 'number', 'boolean'] } as const;

export const datasetSpecSchema = {
  type: 'object',
  required: ['name', 'schema', 'key', 'mapping'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,99}$' },
    schema: { type: 'object' },
    key: {
      type: 'array',
      minItems: 1,
      maxItems: 8,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 100 },
    },
    mapping: {
      type: 'object',
      required: ['table', 'columns'],
      additionalProperties: false,
      properties: {
        table: ident,
        columns: {
          type: 'array',
          minItems: 1,
          maxItems: 200,
          items: {
            type: 'object',
            required: ['name', 'type'],
            additionalProperties: false,
            properties: {
              name: ident,
              from: { type: 'string', minLength: 1, maxLength: 100 },
              type: { enum: ['string', 'integer', 'number', 'boolean', 'timestamp'] },
              default: scalar,
              constant: scalar,
            },
          },
        },
        drop: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 100 } },
      },
    },
    sink: {
      type: 'object',
      required: ['type', 'url'],
      additionalProperties: false,
      properties: {
        type: { const: 'http' },
        url: { type: 'string', pattern: '^https?://', maxLength: 2000 },
        batch: { type: 'integer', minimum: 1, maximum: 1000 },
        ratePerSecond: { type: 'integer', minimum: 1, maximum: 100000 },
        authProfile: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' },
      },
    },
  },
} as const;

/**
 * Checks what JSON Schema cannot: every key field is mapped, names are unique, table is not ours, and
 * the record schema is one a consumer will compile (schema-guard.ts).
 */
export function checkDatasetSpec(spec: DatasetSpec): ErrorDetail[] {
  const problems: ErrorDetail[] = checkRecordSchema(spec.schema);
  const cols = spec.mapping.columns;
  const names = new Set<string>();
  cols.forEach((c, i) => {
    if (names.has(c.name) || c.name.startsWith('_ferry'))
      problems.push({ path: `mapping.columns[${i}].name`, problem: 'is duplicated or reserved' });
    names.add(c.name);
    if (c.constant !== undefined && (c.from !== undefined || c.default !== undefined)) {
      problems.push({ path: `mapping.columns[${i}]`, problem: 'a constant takes neither from nor default' });
    }
  });
  spec.key.forEach((k, i) => {
    const col = cols.find((c) => (c.from ?? c.name) === k && c.constant === undefined);
    if (!col) problems.push({ path: `key[${i}]`, problem: 'is not mapped to a column' });
    else if (col.type === 'number')
      problems.push({ path: `key[${i}]`, problem: 'a key column may not be a floating-point number' });
  });
  (spec.mapping.drop ?? []).forEach((d, i) => {
    if (cols.some((c) => (c.from ?? c.name) === d && c.constant === undefined))
      problems.push({ path: `mapping.drop[${i}]`, problem: 'is also mapped' });
  });
  if (/^(con|prv|sch)_/.test(spec.mapping.table))
    problems.push({ path: 'mapping.table', problem: 'uses a prefix reserved for Ferry tables' });
  return problems;
}

/** The target columns holding the key, in key order. */
export function keyColumns(spec: DatasetSpec): ColumnMapping[] {
  return spec.key.map((k) => spec.mapping.columns.find((c) => (c.from ?? c.name) === k && c.constant === undefined)!);
}

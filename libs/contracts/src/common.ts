export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface FileRef {
  name: string;
  dataset?: string;
  fileId?: string;
  recordCount?: number;
  checksum?: string;
}

export const fileRefSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 500 },
    dataset: { type: 'string', minLength: 1, maxLength: 200 },
    fileId: { type: 'string', minLength: 1, maxLength: 200 },
    recordCount: { type: 'integer', minimum: 0 },
    checksum: { type: 'string', maxLength: 200 },
  },
} as const;

export interface Reconciliation {
  expected: number;
  received: number;
  inserted: number;
  updated: number;
  deleted: number;
  unchanged: number;
  rejected: number;
  /**
   * Rows removed because a snapshot no longer has them. Not part of `received` (they were never
   * sent), so the identity received = inserted + updated + deleted + unchanged + rejected holds.
   */
  purged?: number;
  checksum?: string;
}

const count = { type: 'integer', minimum: 0 } as const;
export const reconciliationSchema = {
  type: 'object',
  required: ['expected', 'received', 'inserted', 'updated', 'deleted', 'unchanged', 'rejected'],
  additionalProperties: false,
  properties: {
    expected: count,
    received: count,
    inserted: count,
    updated: count,
    deleted: count,
    unchanged: count,
    rejected: count,
    purged: count,
    checksum: { type: 'string', maxLength: 200 },
  },
} as const;

export interface Progress {
  processed: number;
  total?: number;
}

export const progressSchema = {
  type: 'object',
  required: ['processed'],
  additionalProperties: false,
  properties: { processed: count, total: count },
} as const;

export interface ReportedError {
  code: string;
  message: string;
}

export const reportedErrorSchema = {
  type: 'object',
  required: ['code', 'message'],
  additionalProperties: false,
  properties: { code: { type: 'string', maxLength: 100 }, message: { type: 'string', maxLength: 2000 } },
} as const;

/** `Page<T>`'s schema for one item schema (each list gets its own named component). */
export function pageSchema<S extends object>(items: S) {
  return {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items },
      nextCursor: { type: ['string', 'null'], description: 'Opaque; pass it as `cursor` for the next page' },
    },
  } as const;
}

/** JSON Schema 2020-12 spelling of "T or null" (OpenAPI 3.1). */
export const nullable = <T extends string>(type: T) => ({ type: [type, 'null'] }) as const;
export const instant = { type: 'string', format: 'date-time' } as const;
export const instantOrNull = { type: ['string', 'null'], format: 'date-time' } as const;

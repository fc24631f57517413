import { datasetSpecSchema } from '#ferry/datasets';
import { instant } from './common.js';

export type FileMode = 'snapshot' | 'changes';

export interface FileManifest {
  fileId: string;
  dataset: string;
  mode: FileMode;
  recordCount: number;
  checksum: string;
  schemaVersion: number;
  createdAt: string;
}

export interface RecordsPage<T = Record<string, unknown>> {
  records: T[];
  nextCursor: string | null;
}

export const fileManifestSchema = {
  type: 'object',
  required: ['fileId', 'dataset', 'mode', 'recordCount', 'checksum', 'schemaVersion', 'createdAt'],
  properties: {
    fileId: { type: 'string' },
    dataset: { type: 'string' },
    mode: { enum: ['snapshot', 'changes'] },
    recordCount: { type: 'integer', minimum: 0 },
    checksum: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' },
    schemaVersion: { type: 'integer', minimum: 1 },
    createdAt: instant,
  },
} as const;

export const recordsPageSchema = {
  type: 'object',
  required: ['records', 'nextCursor'],
  properties: {
    records: {
      type: 'array',
      description: 'In file order; in a changes file each record carries "op": "upsert" | "delete"',
      items: { type: 'object' },
    },
    nextCursor: { type: ['string', 'null'], description: 'Opaque; pass it as `cursor` for the next page' },
  },
} as const;

/** `POST /datasets/{dataset}/files`: records are checked against the dataset by the consumer, not here. */
export interface PublishFileRequest {
  fileId?: string;
  name?: string;
  mode: FileMode;
  businessDate?: string;
  records: Array<Record<string, unknown>>;
}

export const publishFileSchema = {
  type: 'object',
  required: ['mode', 'records'],
  additionalProperties: false,
  properties: {
    fileId: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,200}$' },
    name: { type: 'string', minLength: 1, maxLength: 500 },
    mode: { enum: ['snapshot', 'changes'] },
    businessDate: { type: 'string', format: 'date' },
    records: { type: 'array', maxItems: 100000, items: { type: 'object' } },
  },
} as const;

/** A dataset as the provider stores and serves it (`GET /datasets/{dataset}`). */
export const datasetDefinitionSchema = {
  type: 'object',
  required: [...datasetSpecSchema.required, 'schemaVersion', 'createdAt', 'updatedAt'],
  properties: {
    ...datasetSpecSchema.properties,
    schemaVersion: { type: 'integer', minimum: 1 },
    createdAt: instant,
    updatedAt: instant,
  },
} as const;

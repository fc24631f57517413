import type { FileManifest, FileMode } from '#ferry/contracts';
import { num } from '#ferry/sql';

export interface FileRow {
  fileId: string;
  dataset: string;
  name: string;
  mode: FileMode;
  recordCount: number;
  checksum: string;
  schemaVersion: number;
  businessDate: string | null;
  state: 'WRITING' | 'READY';
  createdAt: number;
}

/** With `{name}` markers: quoted by the driver, as the migration named them (see `named` in #ferry/sql). */
export const FILE_COLUMNS =
  '{file_id}, {dataset}, {file_name}, {file_mode}, {record_count}, {checksum}, ' +
  '{schema_version}, {business_date}, {state}, {created_at}';

export function toFileRow(r: Record<string, unknown>): FileRow {
  return {
    fileId: String(r.file_id),
    dataset: String(r.dataset),
    name: String(r.file_name),
    mode: r.file_mode as FileMode,
    recordCount: num(r.record_count),
    checksum: String(r.checksum ?? ''),
    schemaVersion: num(r.schema_version),
    businessDate: (r.business_date as string | null) ?? null,
    state: r.state as FileRow['state'],
    createdAt: num(r.created_at),
  };
}

export function toManifest(f: FileRow): FileManifest {
  return {
    fileId: f.fileId,
    dataset: f.dataset,
    mode: f.mode,
    recordCount: f.recordCount,
    checksum: f.checksum,
    schemaVersion: f.schemaVersion,
    createdAt: new Date(f.createdAt).toISOString(),
  };
}

/** The trigger message announcing a file (docs/contract.md, "Upstream triggers"). */
export function triggerFor(f: FileRow, source: string): Record<string, unknown> {
  return {
    messageId: `file-${f.fileId}`,
    source,
    event: `${f.dataset}.ready`,
    ...(f.businessDate ? { businessDate: f.businessDate } : {}),
    files: [{ name: f.name, dataset: f.dataset, fileId: f.fileId, recordCount: f.recordCount, checksum: f.checksum }],
  };
}

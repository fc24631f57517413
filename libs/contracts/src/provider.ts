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

import type { EntityManager } from 'typeorm';
import type { FileMode } from '#ferry/contracts';
import { ChecksumBuilder } from '#ferry/datasets';
import { ApiError } from '#ferry/errors';
import { type DatabaseType, isUniqueViolation } from '#ferry/persistence';
import { dialect, named } from '#ferry/sql';
import { FILE_COLUMNS, type FileRow, toFileRow } from './file-row.js';
import { insertRecords } from './record-store.js';

export interface NewFile {
  fileId: string;
  dataset: string;
  name: string;
  mode: FileMode;
  schemaVersion: number;
  businessDate?: string;
}

/**
 * Writes one file in as many transactions as the caller wants (one for a published request, many
 * for a streaming generator): the checksum is built as records are appended, in file order.
 */
export class FileWriter {
  private readonly checksum = new ChecksumBuilder();
  private count = 0;

  private constructor(
    readonly file: NewFile,
    private readonly db: DatabaseType,
  ) {}

  static async create(em: EntityManager, db: DatabaseType, file: NewFile): Promise<FileWriter> {
    try {
      await em.query(
        sql(em, db, `INSERT INTO {prv_files} (${FILE_COLUMNS}) VALUES (?, ?, ?, ?, 0, NULL, ?, ?, 'WRITING', ?)`),
        [file.fileId, file.dataset, file.name, file.mode, file.schemaVersion, file.businessDate ?? null, Date.now()],
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw ApiError.conflict(`File ${file.fileId} already exists`);
      throw err;
    }
    return new FileWriter(file, db);
  }

  get recordCount(): number {
    return this.count;
  }

  async append(em: EntityManager, records: unknown[]): Promise<void> {
    const { firstOrdinal, bodies } = this.take(records);
    await insertRecords(em, this.db, this.file.fileId, firstOrdinal, bodies);
  }

  /**
   * Hashes and numbers records without storing them, for a caller with a faster path of its own
   * (the generator's COPY); the caller must store every body it is given, in order.
   */
  take(records: unknown[]): { firstOrdinal: number; bodies: string[] } {
    const firstOrdinal = this.count + 1;
    const bodies = records.map((r) => this.checksum.add(r));
    this.count += bodies.length;
    return { firstOrdinal, bodies };
  }

  /** Marks the file READY with its count and checksum; answers the row as now stored. */
  async seal(em: EntityManager): Promise<FileRow> {
    const checksum = this.checksum.digest();
    await em.query(
      sql(
        em,
        this.db,
        `UPDATE {prv_files} SET {state} = 'READY', {record_count} = ?, {checksum} = ? WHERE {file_id} = ?`,
      ),
      [this.count, checksum, this.file.fileId],
    );
    const rows: Array<Record<string, unknown>> = await em.query(
      sql(em, this.db, `SELECT ${FILE_COLUMNS} FROM {prv_files} WHERE {file_id} = ?`),
      [this.file.fileId],
    );
    return toFileRow(rows[0]);
  }
}

/** `{name}` markers quoted by the driver (Oracle finds the migrations' lower-case names only quoted). */
export function sql(em: EntityManager, db: DatabaseType, text: string): string {
  return dialect(
    named(text, (n) => em.connection.driver.escape(n)),
    db,
  );
}

import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type FileManifest, type FileMode, publishFileSchema } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { compileSchema } from '#ferry/http';
import { Db } from '#ferry/persistence';
import { DatasetsService } from '../datasets/datasets.service.js';
import { Announcer } from '../outbox/announcer.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { FILE_COLUMNS, type FileRow, toFileRow, toManifest } from './file-row.js';
import { FileWriter, sql } from './file-writer.js';
import { readPage } from './record-store.js';

interface PublishBody {
  fileId?: string;
  name?: string;
  mode: FileMode;
  businessDate?: string;
  records: Array<Record<string, unknown>>;
}

// Records are not checked against the dataset schema here: validating is the consumer's job, and a
// source that sends bad records is exactly what its dead-letter table is for.
const parsePublish = compileSchema<PublishBody>(publishFileSchema);

export const MAX_PAGE = 10000;

/** Hears each page served (the app's metrics). */
export interface PagesListener {
  pageServed(records: number): void;
}

export const PAGES_LISTENER = Symbol('PAGES_LISTENER');

@Injectable()
export class FilesService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(DatasetsService) private readonly datasets: DatasetsService,
    @Inject(Announcer) private readonly announcer: Announcer,
    @Inject(PAGES_LISTENER) private readonly pages: PagesListener,
  ) {}

  /** Stores the file and its trigger in one transaction, then lets the outbox deliver the trigger. */
  async publish(dataset: string, body: unknown): Promise<FileManifest> {
    const input = parsePublish(body);
    if (input.mode === 'changes') {
      const bad = input.records.findIndex((r) => r.op !== 'upsert' && r.op !== 'delete');
      if (bad >= 0)
        throw ApiError.validation([
          { path: `records[${bad}].op`, problem: 'must be "upsert" or "delete" in a changes file' },
        ]);
    }
    const def = await this.datasets.get(dataset);
    const fileId = input.fileId ?? `f-${randomUUID()}`;
    const file = await this.db.tx(async (em) => {
      const writer = await FileWriter.create(em, this.db.type, {
        fileId,
        dataset,
        mode: input.mode,
        schemaVersion: def.schemaVersion,
        businessDate: input.businessDate,
        name: input.name ?? `${dataset}-${fileId}.ndjson`,
      });
      await writer.append(em, input.records);
      const sealed = await writer.seal(em);
      await this.announcer.announce(em, sealed);
      return sealed;
    });
    this.announcer.pump.kick();
    return toManifest(file);
  }

  async manifest(dataset: string, fileId: string): Promise<FileManifest> {
    return toManifest(await this.file(dataset, fileId));
  }

  /** The page as JSON text: stored bodies are canonical JSON already, so they are not re-serialised. */
  async page(
    dataset: string,
    fileId: string,
    cursor: string | undefined,
    limitText: string | undefined,
  ): Promise<string> {
    const after = decodeCursor(cursor);
    const limit = limitText === undefined || limitText === '' ? 1000 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
      throw ApiError.validation([{ path: 'limit', problem: `must be an integer from 1 to ${MAX_PAGE}` }]);
    await this.file(dataset, fileId);
    const rows = await this.db.run((em) => readPage(em, this.db.type, fileId, after, limit));
    this.pages.pageServed(rows.length);
    const next = rows.length === limit ? JSON.stringify(encodeCursor(rows[rows.length - 1].ordinal)) : 'null';
    return `{"records":[${rows.map((r) => r.body).join(',')}],"nextCursor":${next}}`;
  }

  private async file(dataset: string, fileId: string): Promise<FileRow> {
    const rows: Array<Record<string, unknown>> = await this.db.run((em) =>
      em.query(
        sql(
          em,
          this.db.type,
          `SELECT ${FILE_COLUMNS} FROM {prv_files} WHERE {file_id} = ? AND {dataset} = ? AND {state} = 'READY'`,
        ),
        [fileId, dataset],
      ),
    );
    if (rows.length === 0) throw ApiError.notFound('File', `${dataset}/${fileId}`);
    return toFileRow(rows[0]);
  }
}

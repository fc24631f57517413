import type pg from 'pg';
import type { FileMode } from '#ferry/contracts';
import { demoDatasetSpec, demoRecord } from '#ferry/datasets';
import { ApiError } from '#ferry/errors';
import type { Db } from '#ferry/persistence';
import { copyLine, CopyIn } from '#ferry/sql';
import { DatasetsService } from '../datasets/datasets.service.js';
import type { Announcer } from '../outbox/announcer.js';
import type { FileRow } from './file-row.js';
import { FileWriter } from './file-writer.js';

export interface GenerateOptions {
  dataset: string;
  fileId: string;
  records: number;
  mode: FileMode;
  /** Record ids are c-<start> … c-<start + records - 1>. */
  start?: number;
  /** Changes the mutable fields (demoRecord's version), so a second file updates the first. */
  version?: number;
  /** In changes mode, every k-th id is an `op: delete` (0: none). */
  deleteEvery?: number;
  /** Records per batch: what is held in memory at once. */
  batch?: number;
  businessDate?: string;
  onProgress?: (written: number) => void;
}

/** The generated record with ordinal position `n` (0-based) of the file. */
export function generatedRecord(
  o: Pick<GenerateOptions, 'mode' | 'start' | 'version' | 'deleteEvery'>,
  n: number,
): Record<string, unknown> {
  const i = (o.start ?? 1) + n;
  if (o.mode === 'snapshot') return demoRecord(i, o.version ?? 0);
  if (o.deleteEvery && i % o.deleteEvery === 0) return { id: `c-${i}`, op: 'delete' };
  return { ...demoRecord(i, o.version ?? 0), op: 'upsert' };
}

/**
 * Creates the demo dataset if it is missing, then streams a file of N generated records into the
 * provider's database batch by batch (bounded memory whatever N): COPY on PostgreSQL, multi-row
 * INSERTs elsewhere. The file stays WRITING (not served) until it is sealed with its checksum;
 * with an announcer, its trigger is added to the outbox in the sealing transaction.
 */
export async function generateFile(db: Db, announcer: Announcer | undefined, o: GenerateOptions): Promise<FileRow> {
  const datasets = new DatasetsService(db);
  const def = await datasets.get(o.dataset).catch(async (err) => {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
    return (await datasets.put(demoDatasetSpec(o.dataset))).definition;
  });
  const writer = await db.tx((em) =>
    FileWriter.create(em, db.type, {
      fileId: o.fileId,
      dataset: o.dataset,
      mode: o.mode,
      schemaVersion: def.schemaVersion,
      businessDate: o.businessDate,
      name: `${o.dataset}-${o.fileId}.ndjson`,
    }),
  );
  const batch = o.batch ?? (db.type === 'postgres' ? 10_000 : 2_000);
  const batches = async function* () {
    for (let n = 0; n < o.records; n += batch) {
      yield Array.from({ length: Math.min(batch, o.records - n) }, (_, j) => generatedRecord(o, n + j));
    }
  };
  if (db.type === 'postgres') await copyAll(db, writer, batches(), o.onProgress);
  else {
    for await (const records of batches()) {
      await db.tx((em) => writer.append(em, records));
      o.onProgress?.(writer.recordCount);
    }
  }
  const file = await db.tx(async (em) => {
    const sealed = await writer.seal(em);
    await announcer?.announce(em, sealed);
    return sealed;
  });
  announcer?.pump.kick();
  return file;
}

/** One COPY for the whole file on a connection of its own; backpressure keeps memory flat. */
async function copyAll(
  db: Db,
  writer: FileWriter,
  batches: AsyncIterable<unknown[]>,
  onProgress?: (n: number) => void,
): Promise<void> {
  const qr = db.dataSource.createQueryRunner();
  try {
    const client = (await qr.connect()) as pg.PoolClient;
    const copy = CopyIn.open(client, 'COPY prv_records (file_id, ordinal, body) FROM STDIN');
    const fileId = writer.file.fileId;
    for await (const records of batches) {
      const { firstOrdinal, bodies } = writer.take(records);
      let chunk = '';
      for (let i = 0; i < bodies.length; i++) chunk += copyLine([fileId, firstOrdinal + i, bodies[i]]);
      await copy.write(chunk);
      onProgress?.(writer.recordCount);
    }
    await copy.end();
    // Fresh statistics for the pages that will be read next (autovacuum may take a while).
    await client.query('ANALYZE prv_records');
  } finally {
    await qr.release();
  }
}

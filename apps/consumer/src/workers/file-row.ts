import { num } from '#ferry/sql';
import type { Counts } from './batch.js';
import type { Conn } from './conn.js';

export interface JobFileRow {
  jobId: string;
  fileIndex: number;
  dataset: string;
  fileId: string;
  status: string;
  mode: 'snapshot' | 'changes' | null;
  expectedCount: number | null;
  expectedChecksum: string | null;
  pageSize: number;
  nextCursor: string | null;
  snapshotGen: number | null;
  counts: Counts;
}

const KEY = 'WHERE {job_id} = ? AND {file_index} = ?';

export async function loadFile(conn: Conn, jobId: string, fileIndex: number): Promise<JobFileRow> {
  const [r] = await conn.query(`SELECT * FROM {con_job_files} ${KEY}`, [jobId, fileIndex]);
  if (!r) throw new Error(`No file ${fileIndex} in job ${jobId}`);
  return {
    jobId,
    fileIndex,
    dataset: String(r.dataset),
    fileId: String(r.file_id),
    status: String(r.status),
    mode: (r.file_mode as JobFileRow['mode']) ?? null,
    expectedCount: r.expected_count === null ? null : num(r.expected_count),
    expectedChecksum: (r.expected_checksum as string | null) ?? null,
    pageSize: num(r.page_size),
    nextCursor: (r.next_cursor as string | null) ?? null,
    snapshotGen: r.snapshot_gen === null ? null : num(r.snapshot_gen),
    counts: {
      received: num(r.n_received),
      inserted: num(r.n_inserted),
      updated: num(r.n_updated),
      deleted: num(r.n_deleted),
      unchanged: num(r.n_unchanged),
      rejected: num(r.n_rejected),
      purged: num(r.n_purged),
    },
  };
}

/** Raised when the file is no longer RUNNING (cancelled): the transaction rolls back. */
export class NotRunning extends Error {}

/** Fixes what the manifest says, once, before the first page. */
export async function startFile(
  conn: Conn,
  f: JobFileRow,
  mode: string,
  expectedCount: number,
  expectedChecksum: string,
  gen: number | null,
): Promise<void> {
  const n = await conn.exec(
    'UPDATE {con_job_files} SET {file_mode} = ?, {expected_count} = ?, {expected_checksum} = ?, {snapshot_gen} = ?, ' +
      `{updated_at} = ? ${KEY} AND {status} = 'RUNNING'`,
    [mode, expectedCount, expectedChecksum, gen, Date.now(), f.jobId, f.fileIndex],
  );
  if (n === 0) throw new NotRunning();
}

/** The checkpoint: committed in the same transaction as the page it follows. */
export async function checkpoint(
  conn: Conn,
  f: JobFileRow,
  next: string | null,
  c: Counts,
  end?: { status: string; checksum: string; errorCode?: string; errorMessage?: string },
): Promise<void> {
  const n = await conn.exec(
    'UPDATE {con_job_files} SET {next_cursor} = ?, {n_received} = ?, {n_inserted} = ?, {n_updated} = ?, ' +
      '{n_deleted} = ?, {n_unchanged} = ?, {n_rejected} = ?, {n_purged} = ?, ' +
      '{status} = ?, {checksum} = ?, {error_code} = ?, {error_message} = ?, ' +
      `{updated_at} = ? ${KEY} AND {status} = 'RUNNING'`,
    [
      next,
      c.received,
      c.inserted,
      c.updated,
      c.deleted,
      c.unchanged,
      c.rejected,
      c.purged,
      end?.status ?? 'RUNNING',
      end?.checksum ?? null,
      end?.errorCode ?? null,
      end?.errorMessage ?? null,
      Date.now(),
      f.jobId,
      f.fileIndex,
    ],
  );
  if (n === 0) throw new NotRunning();
}

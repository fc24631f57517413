import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { FileRef, Reconciliation, SyncJobStatus } from '#ferry/contracts';
import { Db } from '#ferry/persistence';
import { dialect, named, num } from '#ferry/sql';

export interface JobRow {
  jobId: string;
  requestHash: string;
  taskRunId: string;
  dispatchId: string;
  callbackUrl: string;
  status: SyncJobStatus;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface JobFile {
  index: number;
  name: string;
  dataset: string;
  fileId: string;
  expectedCount: number | null;
  expectedChecksum: string | null;
  status: string;
  checksum: string | null;
  counts: {
    received: number;
    inserted: number;
    updated: number;
    deleted: number;
    unchanged: number;
    rejected: number;
    purged: number;
  };
  errorCode: string | null;
  errorMessage: string | null;
}

export type Exec = Pick<EntityManager, 'query' | 'createQueryBuilder'>;

const toJob = (r: Record<string, unknown>): JobRow => ({
  jobId: String(r.job_id),
  requestHash: String(r.request_hash),
  taskRunId: String(r.task_run_id),
  dispatchId: String(r.dispatch_id),
  callbackUrl: String(r.callback_url),
  status: r.status as SyncJobStatus,
  errorCode: (r.error_code as string) ?? null,
  errorMessage: (r.error_message as string) ?? null,
});

const toFile = (r: Record<string, unknown>): JobFile => ({
  index: num(r.file_index),
  name: String(r.file_name),
  dataset: String(r.dataset),
  fileId: String(r.file_id),
  expectedCount: r.expected_count === null ? null : num(r.expected_count),
  expectedChecksum: (r.expected_checksum as string) ?? null,
  status: String(r.status),
  checksum: (r.checksum as string) ?? null,
  counts: {
    received: num(r.n_received),
    inserted: num(r.n_inserted),
    updated: num(r.n_updated),
    deleted: num(r.n_deleted),
    unchanged: num(r.n_unchanged),
    rejected: num(r.n_rejected),
    purged: num(r.n_purged),
  },
  errorCode: (r.error_code as string) ?? null,
  errorMessage: (r.error_message as string) ?? null,
});

/**
 * SQL for the consumer's job tables (main thread; the worker has its own, in workers/file-row.ts).
 * Names are `{quoted}` by the driver; conditional moves are TypeORM updates, whose affected-row count
 * every database reports (Oracle has no RETURNING without bind variables).
 */
@Injectable()
export class JobStore {
  private readonly texts = new Map<string, string>();

  constructor(@Inject(Db) private readonly db: Db) {}

  sql(s: string): string {
    let text = this.texts.get(s);
    if (text === undefined) {
      text = dialect(this.names(s), this.db.type);
      this.texts.set(s, text);
    }
    return text;
  }

  private names(s: string): string {
    return named(s, (n) => this.db.dataSource.driver.escape(n));
  }

  async byKey(em: Exec, key: string): Promise<JobRow | undefined> {
    const rows = await em.query(this.sql('SELECT * FROM {con_jobs} WHERE {idem_key} = ?'), [key]);
    return rows[0] ? toJob(rows[0]) : undefined;
  }

  async job(em: Exec, jobId: string): Promise<JobRow | undefined> {
    const rows = await em.query(this.sql('SELECT * FROM {con_jobs} WHERE {job_id} = ?'), [jobId]);
    return rows[0] ? toJob(rows[0]) : undefined;
  }

  async files(em: Exec, jobId: string): Promise<JobFile[]> {
    return (
      await em.query(this.sql('SELECT * FROM {con_job_files} WHERE {job_id} = ? ORDER BY {file_index}'), [jobId])
    ).map(toFile);
  }

  async insert(
    em: Exec,
    job: JobRow & { idemKey: string },
    files: Array<FileRef & { dataset: string; fileId: string }>,
    pageSize: number,
  ): Promise<void> {
    const now = Date.now();
    await em.query(
      this.sql(
        'INSERT INTO {con_jobs} ({job_id}, {idem_key}, {request_hash}, {task_run_id}, {dispatch_id}, {callback_url}, ' +
          '{status}, {created_at}, {updated_at}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      [job.jobId, job.idemKey, job.requestHash, job.taskRunId, job.dispatchId, job.callbackUrl, job.status, now, now],
    );
    for (const [i, f] of files.entries()) {
      await em.query(
        this.sql(
          'INSERT INTO {con_job_files} ({job_id}, {file_index}, {file_name}, {dataset}, {file_id}, {expected_count}, ' +
            "{expected_checksum}, {status}, {page_size}, {updated_at}) VALUES (?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?)",
        ),
        [job.jobId, i, f.name, f.dataset, f.fileId, f.recordCount ?? null, f.checksum ?? null, pageSize, now],
      );
    }
  }

  /** A conditional move: only from one of `from`; answers whether it happened. */
  async move(
    em: Exec,
    jobId: string,
    from: SyncJobStatus[],
    to: SyncJobStatus,
    error?: { code: string; message: string },
  ): Promise<boolean> {
    const res = await em
      .createQueryBuilder()
      .update('con_jobs')
      .set({
        status: to,
        error_code: error?.code ?? null,
        error_message: error?.message?.slice(0, 2000) ?? null,
        updated_at: Date.now(),
      })
      .where(this.names('{job_id} = :jobId AND {status} IN (:...from)'), { jobId, from })
      .execute();
    return (res.affected ?? 0) > 0;
  }

  async moveFiles(
    em: Exec,
    jobId: string,
    from: string[],
    to: string,
    error?: { code: string; message: string },
    fileIndex?: number,
  ): Promise<void> {
    await em.query(
      this.sql(
        'UPDATE {con_job_files} SET {status} = ?, {error_code} = COALESCE(?, {error_code}), ' +
          '{error_message} = COALESCE(?, {error_message}), {updated_at} = ? ' +
          `WHERE {job_id} = ? AND {status} IN (${from.map(() => '?').join(', ')})` +
          (fileIndex === undefined ? '' : ' AND {file_index} = ?'),
      ),
      [
        to,
        error?.code ?? null,
        error?.message?.slice(0, 2000) ?? null,
        Date.now(),
        jobId,
        ...from,
        ...(fileIndex === undefined ? [] : [fileIndex]),
      ],
    );
  }

  /** Takes (or keeps) a live job for this instance unless another holds a current lease. */
  async claim(jobId: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = Date.now();
    const res = await this.db.run((em) =>
      em
        .createQueryBuilder()
        .update('con_jobs')
        .set({ owner, lease_until: now + leaseMs })
        .where(
          this.names(
            "{job_id} = :jobId AND {status} IN ('ACCEPTED', 'RUNNING') " +
              'AND ({owner} IS NULL OR {owner} = :owner OR {lease_until} < :now)',
          ),
          { jobId, owner, now },
        )
        .execute(),
    );
    return (res.affected ?? 0) > 0;
  }

  async renew(owner: string, jobIds: string[], leaseMs: number): Promise<void> {
    if (jobIds.length === 0) return;
    await this.db.run((em) =>
      em.query(
        this.sql(
          'UPDATE {con_jobs} SET {lease_until} = ? ' +
            `WHERE {owner} = ? AND {job_id} IN (${jobIds.map(() => '?').join(', ')})`,
        ),
        [Date.now() + leaseMs, owner, ...jobIds],
      ),
    );
  }

  /**
   * Live jobs this instance may run: its own, unowned ones, and ones whose owner's lease lapsed, each
   * with its files not yet ended (the room it takes here).
   */
  async resumable(owner: string): Promise<Array<{ jobId: string; files: number }>> {
    const rows = await this.db.run((em) =>
      em.query(
        this.sql(
          'SELECT j.{job_id}, (SELECT COUNT(*) FROM {con_job_files} f WHERE f.{job_id} = j.{job_id} ' +
            "AND f.{status} IN ('PENDING', 'RUNNING')) AS {files} FROM {con_jobs} j " +
            "WHERE j.{status} IN ('ACCEPTED', 'RUNNING') " +
            'AND (j.{owner} IS NULL OR j.{owner} = ? OR j.{lease_until} < ?) ORDER BY j.{created_at}',
        ),
        [owner, Date.now()],
      ),
    );
    return rows.map((r: Record<string, unknown>) => ({ jobId: String(r.job_id), files: num(r.files) }));
  }
}

export function reconcile(files: JobFile[]): Reconciliation {
  const sum = (f: (x: JobFile) => number) => files.reduce((a, x) => a + f(x), 0);
  const purged = sum((f) => f.counts.purged);
  return {
    expected: sum((f) => f.expectedCount ?? 0),
    received: sum((f) => f.counts.received),
    inserted: sum((f) => f.counts.inserted),
    updated: sum((f) => f.counts.updated),
    deleted: sum((f) => f.counts.deleted),
    unchanged: sum((f) => f.counts.unchanged),
    rejected: sum((f) => f.counts.rejected),
    // Only reported when a snapshot removed something, so reports of changes files look as before.
    ...(purged > 0 ? { purged } : {}),
    // The contract has one checksum per report; a job of several files has no single one to give.
    ...(files.length === 1 && files[0].checksum ? { checksum: files[0].checksum } : {}),
  };
}

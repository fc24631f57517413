import { type SigningProfile, TokenCache } from '#ferry/auth';
import { ChecksumBuilder, type DatasetSpec } from '#ferry/datasets';
import type { EgressConfig } from '#ferry/egress';
import type { DatabaseConfig } from '#ferry/persistence';
import { DatasetRefused } from '../datasets/dataset-refused.js';
import { applyOps, type Counts, type PreparedPage, preparePageInSlices } from './batch.js';
import { type Conn, openConn } from './conn.js';
import { checkpoint, type JobFileRow, loadFile, NotRunning, startFile } from './file-row.js';
import { createLoader, type Loader } from './loaders.js';
import { compileMapping, type CompiledMapping } from './mapping.js';
import { PageReader, ProviderError } from './page-reader.js';
import { type Check, compileCheck } from './validator.js';
import { setupPropagationOnly, withRemoteParent } from '#ferry/observability';
import type { SinkConfig } from '../config.js';
import { HttpRecordSink, SinkUnavailable } from '../sink/http-sink.js';
import { sinkFor } from '../sink/sink-of-thread.js';

/** What the main thread sends: plain data only (no TypeORM objects cross threads). */
export interface FileTask {
  db: DatabaseConfig;
  jobId: string;
  fileIndex: number;
  providerUrl: string;
  providerToken: SigningProfile;
  /** The consumer's egress allow-list: the worker's calls to the provider go through its own guard. */
  egress: EgressConfig;
  /** The main thread's span for this file: the worker's calls to the provider continue it. */
  traceparent?: string;
  /** For datasets whose records go to an HTTP sink rather than their table. */
  sinks?: SinkConfig;
}

export interface FileOutcome {
  /**
   * A file's status, or STALE_DATASET: its manifest needs a newer definition of `dataset` than the stored one
   * (nothing was written).
   */
  status: string;
  errorCode?: string;
  errorMessage?: string;
  dataset?: string;
  schemaVersion?: number;
}

interface Compiled {
  schemaVersion: number;
  checks: { snapshot: Check; changes: Check };
  mapping: CompiledMapping;
  loader: Loader;
  /** Set when the dataset's records go to an HTTP endpoint instead of its table. */
  sink?: HttpRecordSink;
}

// Per worker thread: one connection, one token cache, datasets compiled once per version.
let conn: Promise<Conn> | undefined;
const tokens = new TokenCache();
const compiled = new Map<string, Compiled>();

export default function runInTrace(task: FileTask): Promise<FileOutcome> {
  if (task.traceparent) setupPropagationOnly('ferry-consumer');
  return withRemoteParent(task.traceparent, () => runFile(task));
}

async function runFile(task: FileTask): Promise<FileOutcome> {
  conn ??= openConn(task.db);
  const c = await conn;
  const reader = new PageReader(task.providerUrl, () => tokens.get('provider', task.providerToken), task.egress);
  try {
    let f = await loadFile(c, task.jobId, task.fileIndex);
    if (f.status !== 'RUNNING') return { status: f.status };
    const ds = await datasetFor(c, f.dataset, task);
    if (f.mode === null) {
      const m = await reader.manifest(f.dataset, f.fileId);
      if (m.schemaVersion > ds.schemaVersion)
        return { status: 'STALE_DATASET', dataset: f.dataset, schemaVersion: m.schemaVersion };
      await startFile(
        c,
        f,
        m.mode,
        f.expectedCount ?? m.recordCount,
        f.expectedChecksum ?? m.checksum,
        m.mode === 'snapshot' ? Date.now() : null,
      );
      f = await loadFile(c, task.jobId, task.fileIndex);
    }
    return await load(c, reader, f, ds);
  } catch (err) {
    if (err instanceof NotRunning) return { status: 'CANCELLED' };
    if (err instanceof ProviderError || err instanceof DatasetRefused || err instanceof SinkUnavailable)
      return { status: 'FAILED', errorCode: err.code, errorMessage: err.message };
    throw err;
  }
}

async function load(c: Conn, reader: PageReader, f: JobFileRow, ds: Compiled): Promise<FileOutcome> {
  const checksum = new ChecksumBuilder();
  // A Node hash cannot be saved, so a resumed file re-reads (without loading) what it already has.
  if (f.nextCursor !== null) await replay(reader, f, checksum);
  const ctx = {
    changes: f.mode === 'changes',
    check: f.mode === 'changes' ? ds.checks.changes : ds.checks.snapshot,
    mapping: ds.mapping,
    checksum,
  };
  let counts: Counts = { ...f.counts };
  let received = counts.received;
  // Each page commits with its checkpoint, strictly in order, one transaction at a time.
  const commit = async (
    page: PreparedPage,
    records: unknown[],
    nextCursor: string | null,
    end: FileEnd | undefined,
  ) => {
    const first = counts.received + 1;
    const next: Counts = { ...counts, received: counts.received + records.length };
    let rejected = page.rejected;
    // A sink's page is sent (every record acknowledged or refused) before its checkpoint's transaction opens;
    // a kill in between re-sends it on resume under the same idempotency keys.
    if (ds.sink) {
      const sent = await ds.sink.send(f.jobId, f.fileIndex, page.ops);
      next.inserted += sent.inserted;
      next.updated += sent.updated;
      next.deleted += sent.deleted;
      next.unchanged += sent.unchanged;
      // Listed as the provider served them, like records refused before mapping.
      const refused = sent.rejected.map((r) => ({ ...r, record: records[r.position - first] }));
      rejected = [...rejected, ...refused].sort((a, b) => a.position - b.position);
    }
    next.rejected += rejected.length;
    await c.tx(async () => {
      if (!ds.sink) await applyOps(ds.loader, page.ops, f.snapshotGen, next);
      for (const r of rejected) {
        await c.exec(
          'INSERT INTO {con_dead_letters} ({job_id}, {file_index}, {position}, {record}, {reasons}, {created_at}) ' +
            'VALUES (?, ?, ?, ?, ?, ?)',
          [f.jobId, f.fileIndex, r.position, JSON.stringify(r.record), JSON.stringify(r.reasons), Date.now()],
        );
      }
      // A snapshot removes what it no longer has, but only once it is known to be complete and intact.
      if (end?.status === 'SUCCEEDED' && f.mode === 'snapshot' && f.snapshotGen !== null && !ds.sink)
        next.purged += await ds.loader.purge(f.snapshotGen);
      await checkpoint(c, f, nextCursor, next, end);
    });
    counts = next;
  };
  let pending = reader.page(f.dataset, f.fileId, f.nextCursor, f.pageSize);
  let writing: Promise<void> = Promise.resolve();
  for (;;) {
    // A failed fetch ends the file only after the page already committing has settled.
    const page = await pending.catch(async (err) => {
      await writing.catch(() => undefined);
      throw err;
    });
    // Fetch the next page, and validate and map this one, while the previous page commits.
    if (page.nextCursor !== null) {
      pending = reader.page(f.dataset, f.fileId, page.nextCursor, f.pageSize);
      pending.catch(() => undefined);
    }
    const prepared = await preparePageInSlices(page.records, received + 1, ctx);
    received += page.records.length;
    const end = page.nextCursor === null ? finalCheck(f, received, checksum.digest()) : undefined;
    await writing;
    writing = commit(prepared, page.records, page.nextCursor, end);
    writing.catch(() => undefined);
    if (end) {
      await writing;
      return end;
    }
  }
}

type FileEnd = { status: string; checksum: string; errorCode?: string; errorMessage?: string };

function finalCheck(f: JobFileRow, received: number, checksum: string): FileEnd {
  if (f.expectedChecksum && f.expectedChecksum !== checksum) {
    return {
      status: 'FAILED',
      checksum,
      errorCode: 'CHECKSUM_MISMATCH',
      errorMessage: `Expected ${f.expectedChecksum}, received records hash to ${checksum}`,
    };
  }
  if (f.expectedCount !== null && f.expectedCount !== received) {
    return {
      status: 'FAILED',
      checksum,
      errorCode: 'COUNT_MISMATCH',
      errorMessage: `Expected ${f.expectedCount} records, received ${received}`,
    };
  }
  return { status: 'SUCCEEDED', checksum };
}

async function replay(reader: PageReader, f: JobFileRow, checksum: ChecksumBuilder): Promise<void> {
  let cursor: string | null = null;
  do {
    const page = await reader.page(f.dataset, f.fileId, cursor, f.pageSize);
    for (const r of page.records) checksum.add(r);
    cursor = page.nextCursor;
  } while (cursor !== null && cursor !== f.nextCursor);
  if (cursor !== f.nextCursor)
    throw new ProviderError('PROVIDER_ERROR', 'The file changed on the provider since the checkpoint');
}

async function datasetFor(c: Conn, name: string, task: FileTask): Promise<Compiled> {
  const [row] = await c.query('SELECT {definition}, {schema_version} FROM {con_datasets} WHERE {name} = ?', [name]);
  if (!row) throw new ProviderError('PROVIDER_ERROR', `Dataset ${name} is not known`);
  const key = `${name}@${row.schema_version}@${row.definition}`;
  let hit = compiled.get(key);
  if (!hit) {
    const spec = JSON.parse(String(row.definition)) as DatasetSpec;
    await ownTable(c, spec);
    hit = {
      schemaVersion: Number(row.schema_version),
      checks: { snapshot: compileCheck(spec, false), changes: compileCheck(spec, true) },
      mapping: compileMapping(spec),
      loader: createLoader(c, spec),
      sink: spec.sink ? sinkFor(spec, task) : undefined,
    };
    compiled.set(key, hit);
  }
  return hit;
}

/** Rows go only into the dataset's own table (the catalog gave it the table; a copy older than that is refused). */
async function ownTable(c: Conn, spec: DatasetSpec): Promise<void> {
  const table = spec.mapping.table;
  const [owner] = await c.query('SELECT {dataset} FROM {con_dataset_tables} WHERE {table_name} = ?', [table]);
  if (!owner || String(owner.dataset) !== spec.name)
    throw new DatasetRefused(
      spec.name,
      `it maps onto table ${table}, which is ${owner ? `dataset ${String(owner.dataset)}'s` : "no dataset's"}`,
    );
}

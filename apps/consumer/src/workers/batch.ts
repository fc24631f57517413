import type { Reconciliation } from '#ferry/contracts';
import type { ChecksumBuilder } from '#ferry/datasets';
import type { Loader } from './loaders.js';
import type { Cell, CompiledMapping } from './mapping.js';
import type { Check } from './validator.js';

/** The reconciliation counts a file accumulates; `purged`: rows a snapshot removed (not among `received`). */
export type Counts = Omit<Reconciliation, 'expected' | 'checksum' | 'purged'> & { purged: number };

export interface Rejected {
  position: number;
  record: unknown;
  reasons: string[];
}

export interface Op {
  kind: 'upsert' | 'delete';
  row: Cell[];
  key: string;
  /** 1-based position of the record in its file (a record sink derives its idempotency key from it). */
  position: number;
}

export interface PreparedPage {
  ops: Op[];
  rejected: Rejected[];
}

/** Hashes, validates and maps one page; `firstPosition` is the 1-based position of its first record. */
export function preparePage(
  records: Array<Record<string, unknown>>,
  firstPosition: number,
  ctx: { changes: boolean; check: Check; mapping: CompiledMapping; checksum: ChecksumBuilder },
): PreparedPage {
  const ops: Op[] = [];
  const rejected: Rejected[] = [];
  const { keyIndex } = ctx.mapping;
  records.forEach((record, i) => {
    ctx.checksum.add(record);
    const position = firstPosition + i;
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      rejected.push({ position, record, reasons: ['(record): is not an object'] });
      return;
    }
    const isDelete = ctx.changes && record.op === 'delete';
    // A delete carries only the key; the full schema applies to what is loaded.
    const problems = isDelete ? null : ctx.check(record);
    if (ctx.changes && record.op !== 'delete' && record.op !== 'upsert') {
      rejected.push({ position, record, reasons: ['op: must be "upsert" or "delete"', ...(problems ?? [])] });
      return;
    }
    if (problems) {
      rejected.push({ position, record, reasons: problems });
      return;
    }
    const mapped = isDelete ? ctx.mapping.mapKey(record) : ctx.mapping.map(record);
    if (!mapped.ok) {
      rejected.push({ position, record, reasons: mapped.reasons });
      return;
    }
    const keyCells = isDelete ? mapped.row : keyIndex.map((k) => mapped.row[k]);
    ops.push({ kind: isDelete ? 'delete' : 'upsert', row: mapped.row, key: JSON.stringify(keyCells), position });
  });
  return { ops, rejected };
}

/**
 * preparePage in slices, giving the event loop back between them: the previous page's commit is
 * waiting on PostgreSQL round trips in this same thread, and a page-long synchronous loop would hold
 * each answer back until the whole page is prepared.
 */
export async function preparePageInSlices(
  records: Array<Record<string, unknown>>,
  firstPosition: number,
  ctx: Parameters<typeof preparePage>[2],
  slice = 500,
): Promise<PreparedPage> {
  if (records.length <= slice) return preparePage(records, firstPosition, ctx);
  const out: PreparedPage = { ops: [], rejected: [] };
  for (let i = 0; i < records.length; i += slice) {
    if (i > 0) await new Promise((r) => setImmediate(r));
    const part = preparePage(records.slice(i, i + slice), firstPosition + i, ctx);
    for (const op of part.ops) out.ops.push(op);
    for (const r of part.rejected) out.rejected.push(r);
  }
  return out;
}

/**
 * Applies ops in file order. Consecutive ops of one kind go to the loader together, except that a
 * key seen twice starts a new statement (one statement may not touch a row twice, and the second
 * occurrence must see the first one's effect to be counted right).
 */
export async function applyOps(loader: Loader, ops: Op[], gen: number | null, counts: Counts): Promise<void> {
  let kind: Op['kind'] | undefined;
  let rows: Cell[][] = [];
  let keys = new Set<string>();
  const flush = async () => {
    if (rows.length === 0) return;
    if (kind === 'upsert') {
      const r = await loader.upsert(rows, gen);
      counts.inserted += r.inserted;
      counts.updated += r.updated;
      counts.unchanged += r.unchanged;
    } else {
      const n = await loader.delete(rows);
      counts.deleted += n;
      // Deleting a row that is not there changes nothing.
      counts.unchanged += rows.length - n;
    }
    rows = [];
    keys = new Set();
  };
  for (const op of ops) {
    if (op.kind !== kind || keys.has(op.key)) {
      await flush();
      kind = op.kind;
    }
    rows.push(op.row);
    keys.add(op.key);
  }
  await flush();
}

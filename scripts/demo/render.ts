import type { Reconciliation } from '#ferry/contracts';

export interface FileRow {
  file: string;
  status: string;
  processed: number;
  total: number;
  reconciliation?: Reconciliation | null;
  reconciliationStatus?: string | null;
}

const BAR = 30;

let last = '';

/** One progress bar per file, redrawn in place on a terminal (printed only on change elsewhere). */
export function renderProgress(rows: FileRow[], redraw: boolean): void {
  const key = rows.map((r) => `${r.status}:${r.processed}`).join('|');
  if (!process.stdout.isTTY && key === last) return;
  last = key;
  if (redraw && process.stdout.isTTY) process.stdout.write(`\x1b[${rows.length}A`);
  for (const r of rows) {
    const ratio = r.status === 'SUCCEEDED' ? 1 : r.total ? Math.min(1, r.processed / r.total) : 0;
    const filled = Math.round(ratio * BAR);
    const line =
      `  ${r.file.padEnd(24)} [${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}] ` +
      `${String(Math.round(ratio * 100)).padStart(3)}%  ${r.status}`;
    process.stdout.write(process.stdout.isTTY ? `\x1b[2K${line}\n` : `${line}\n`);
  }
}

export function renderReconciliation(rows: FileRow[]): void {
  console.log('\nReconciliation (reported by the consumer, checked by the scheduler)');
  console.table(
    Object.fromEntries(
      rows.map((r) => {
        const c = r.reconciliation;
        return [
          r.file,
          {
            expected: c?.expected,
            received: c?.received,
            inserted: c?.inserted,
            updated: c?.updated,
            deleted: c?.deleted,
            unchanged: c?.unchanged,
            rejected: c?.rejected,
            check: r.reconciliationStatus ?? '-',
          },
        ];
      }),
    ),
  );
}

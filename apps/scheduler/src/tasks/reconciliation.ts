import type { FileRef, Reconciliation } from '#ferry/contracts';

/**
 * The checks a SUCCEEDED report must pass. Every received record is accounted for exactly once,
 * nothing the upstream announced went missing, and the data is the data the upstream described.
 */
export function reconciliationProblems(file: FileRef, r: Reconciliation | undefined | null): string[] {
  if (!r) return ['no reconciliation counts were reported'];
  const problems: string[] = [];
  const accounted = r.inserted + r.updated + r.deleted + r.unchanged + r.rejected;
  if (r.received !== accounted) {
    problems.push(`received ${r.received} but inserted+updated+deleted+unchanged+rejected = ${accounted}`);
  }
  if (r.expected !== r.received) problems.push(`expected ${r.expected} but received ${r.received}`);
  if (file.recordCount !== undefined && r.expected !== file.recordCount) {
    problems.push(`the trigger announced ${file.recordCount} records but the downstream expected ${r.expected}`);
  }
  if (file.checksum && r.checksum && file.checksum !== r.checksum) {
    problems.push(`checksum ${r.checksum} differs from the trigger's ${file.checksum}`);
  }
  return problems;
}

import type { TaskCommand } from './task-state.js';
import type { TaskStatus } from './task-status.js';

/** The siblings of a SYNC task that its move affects: the one right after it (by seq), or all after it. */
export type SiblingScope = 'next' | 'later';

export interface SyncCascade {
  scope: SiblingScope;
  command: Extract<TaskCommand, { kind: 'ready' | 'skip' | 'unskip' }>;
  /** A second cascade, applied after this one to the siblings as it left them. */
  then?: SyncCascade;
}

/**
 * A SYNC group runs its tasks one after another: a success readies the next task, a final failure
 * (or a cancel) skips the rest, and an operator's retry of that task un-skips them again (they
 * return to PENDING, not ready, and follow in order). A failed task an operator marks succeeded lets
 * them continue as that retry would: un-skipped, then the next one readied. Each sibling then goes through `decide`, which
 * leaves alone any that is not in the state the command expects. ASYNC groups never cascade.
 */
export function syncCascade(runMode: 'SYNC' | 'ASYNC', from: TaskStatus, to: TaskStatus): SyncCascade | undefined {
  if (runMode !== 'SYNC' || from === to) return undefined;
  const readyNext: SyncCascade = { scope: 'next', command: { kind: 'ready' } };
  if (to === 'SUCCEEDED' && (from === 'FAILED' || from === 'CANCELLED'))
    return { scope: 'later', command: { kind: 'unskip' }, then: readyNext };
  if (to === 'SUCCEEDED') return readyNext;
  if (to === 'FAILED' || to === 'CANCELLED') return { scope: 'later', command: { kind: 'skip' } };
  if (to === 'PENDING' && (from === 'FAILED' || from === 'CANCELLED'))
    return { scope: 'later', command: { kind: 'unskip' } };
  return undefined;
}

import type { Tx } from '../storage/tx.js';
import type { GroupStatusChange } from './group-listeners.js';
import type { GroupSpec } from './group-status.js';

export interface GroupInfo {
  id: string;
  runMode: 'SYNC' | 'ASYNC';
  spec: GroupSpec;
}

/**
 * Where group runs are kept (port). One adapter per database family (storage/pg, storage/orm), chosen
 * once by the storage module.
 */
export interface GroupStore {
  /** The runs' immutable specs; `tx` joins the caller's unit of work (undefined: a read of its own). */
  info(tx: Tx | undefined, ids: string[]): Promise<GroupInfo[]>;
  /** Whether the definition is enabled (a missing one counts as enabled: its runs go on); `tx` as for `info`. */
  isEnabled(tx: Tx | undefined, definitionId: string): Promise<boolean>;
  /**
   * Recounts the runs from their tasks and writes what moved, in one transaction that locks the group
   * rows first (so the last of concurrent recounts sees every task move); answers the status changes.
   */
  recount(ids: string[], now: number): Promise<GroupStatusChange[]>;
}

export const GROUP_STORE = Symbol('GROUP_STORE');

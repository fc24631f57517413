import type { GroupStatus } from '../tasks/task-status.js';

export interface GroupStatusChange {
  id: string;
  status: GroupStatus;
}

/** Told of each group run status change once its recount committed (also the reconciler's replays after a crash). */
export interface GroupStatusListener {
  onGroupStatus(change: GroupStatusChange): void;
}

export const GROUP_STATUS_LISTENERS = Symbol('GROUP_STATUS_LISTENERS');

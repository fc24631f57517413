import type { TriggerMessage } from '#ferry/contracts';
import type { ErrorDetail } from '#ferry/errors';

/** The files-per-trigger cap, one rule for a message received (422) and one replayed (409). */
export function filesOverCap(msg: Pick<TriggerMessage, 'files'>, maxFiles: number): ErrorDetail | undefined {
  return (msg.files?.length ?? 0) > maxFiles
    ? { path: 'files', problem: `must not have more than ${maxFiles} items (files per trigger)` }
    : undefined;
}

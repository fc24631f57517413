import type { ApiError } from '#ferry/errors';
import type { CallbackAnswer } from '#ferry/contracts';

export type TriggerOutcome = 'accepted' | 'duplicate' | 'unmatched' | 'rejected';

/** Told of each trigger message once it is settled (counted once by source and outcome). */
export interface TriggerObserver {
  triggerSettled(source: string | undefined, outcome: TriggerOutcome): void;
}

/** Told of each callback once handled: its outcome and how long it took (from `process.hrtime.bigint()`). */
export interface CallbackObserver {
  callbackHandled(taskRunId: string, answer: CallbackAnswer | ApiError | Error, startedNs: bigint): void;
}

/**
 * Told of each fire pass once it committed: the scheduled times of the fires it wrote (not those it recorded as
 * skipped), and when they became stored. Their difference is a schedule's fire lag.
 */
export interface ScheduleObserver {
  firesCommitted(scheduledAt: readonly number[], committedAt: number): void;
}

export const TRIGGER_OBSERVER = Symbol('TRIGGER_OBSERVER');
export const SCHEDULE_OBSERVER = Symbol('SCHEDULE_OBSERVER');
export const CALLBACK_OBSERVER = Symbol('CALLBACK_OBSERVER');

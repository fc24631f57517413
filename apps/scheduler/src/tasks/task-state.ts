import type { ReportedError, RetryPolicy, TaskCallback } from '#ferry/contracts';
import { reconciliationProblems } from './reconciliation.js';
import {
  type Actor,
  isInFlight,
  isLive,
  type TaskEventDraft,
  TaskEventReason,
  type TaskRow,
  type TaskStatus,
} from './task-status.js';

/**
 * The task run's state machine: every legal move is written here and nowhere else.
 * `decide` is pure; the engine persists its result with a conditional (version) update.
 */
export type TaskCommand =
  | { kind: 'claim' }
  | { kind: 'accepted'; dispatchId: string; jobId: string }
  | {
      kind: 'attemptFailed';
      dispatchId: string;
      error: ReportedError;
      retryable: boolean;
      retryAfterMs?: number;
      actor: Actor;
    }
  | { kind: 'report'; actor: 'callback' | 'poller'; body: TaskCallback }
  | { kind: 'cancel'; actor: Actor }
  | { kind: 'retry'; actor: Actor }
  /** An operator vouches for the work of a FAILED task, or of a reconciliation MISMATCH, fixed by hand. */
  | { kind: 'markSucceeded'; actor: Actor; reason: string }
  /** A finished group run again (whole, or from its first failed task): `ready` is false for SYNC successors. */
  | { kind: 'rerun'; actor: Actor; ready: boolean }
  /** `fail`: the definition's deadline action is FAIL, so a live task past it fails instead of only being flagged. */
  | { kind: 'overdue'; fail?: boolean }
  /** The target's breaker, concurrency cap or rate limit refused a fresh dispatch before it was sent. */
  | { kind: 'blocked'; dispatchId: string; delayMs: number; reason: BlockReason }
  | { kind: 'skip' }
  | { kind: 'unskip' }
  | { kind: 'ready' };

/** Why a new attempt waits without spending it: the target's guard (breaker, cap, rate), or the downstream said 429. */
export type BlockReason = 'CIRCUIT_OPEN' | 'CONCURRENCY_LIMIT' | 'RATE_LIMIT' | 'BUSY';

export type Answer =
  /** `resend`: the same dispatch again (its first answer was lost), not a new attempt. */
  | { type: 'send'; dispatchId: string; attempt: number; targetUrl: string; resend?: true }
  | { type: 'none' }
  | { type: 'applied' }
  | { type: 'ignored'; reason: 'STALE' | 'DUPLICATE' }
  | { type: 'conflict'; message: string };

export interface Decision {
  next?: TaskRow;
  event?: TaskEventDraft;
  answer: Answer;
}

export interface DecideContext {
  now: number;
  newId(): string;
  random(): number;
  retry: RetryPolicy;
  paused: boolean;
  targetFor(row: TaskRow): string;
  /**
   * An unanswered dispatch is sent again only this long after it went out (the sender's HTTP timeout):
   * before that, the instance that sent it may still be waiting for the answer. 0 when omitted.
   */
  resendAfterMs?: number;
}

const RANK: Partial<Record<TaskStatus | TaskCallback['status'], number>> = {
  DISPATCHED: 0,
  ACCEPTED: 1,
  RUNNING: 2,
  SUCCEEDED: 3,
  FAILED: 3,
};

const none: Decision = { answer: { type: 'none' } };
const stale: Decision = { answer: { type: 'ignored', reason: 'STALE' } };
const duplicate: Decision = { answer: { type: 'ignored', reason: 'DUPLICATE' } };
const conflict = (message: string): Decision => ({ answer: { type: 'conflict', message } });

export function decide(row: TaskRow, cmd: TaskCommand, ctx: DecideContext): Decision {
  switch (cmd.kind) {
    case 'claim':
      return claim(row, ctx);
    case 'accepted':
      return accepted(row, cmd.dispatchId, cmd.jobId, ctx);
    case 'attemptFailed':
      if (cmd.dispatchId !== row.dispatchId || !isInFlight(row.status)) return stale;
      // A send's failure counts only while its answer is what the task waits for. Once the downstream
      // has acknowledged the dispatch (an earlier send, or a callback), a failed re-send changes nothing.
      if (cmd.actor === 'dispatcher' && (row.status !== 'DISPATCHED' || row.downstreamJobId !== null)) return stale;
      return failAttempt(row, cmd.error, cmd.retryable, cmd.actor, ctx, cmd.retryAfterMs);
    case 'report':
      return report(row, cmd.body, cmd.actor, ctx);
    case 'cancel':
      if (!isLive(row.status)) return conflict(`Task run ${row.id} is ${row.status} and cannot be cancelled`);
      return move(row, 'CANCELLED', cmd.actor, TaskEventReason.CANCELLED_BY_OPERATOR, ctx, { finishedAt: ctx.now });
    case 'retry':
      return retry(row, cmd.actor, ctx);
    case 'markSucceeded':
      return markSucceeded(row, cmd.actor, cmd.reason, ctx);
    case 'rerun':
      if (isLive(row.status)) return conflict(`Task run ${row.id} is ${row.status}; only finished tasks are rerun`);
      return again(row, cmd.actor, TaskEventReason.RERUN_BY_OPERATOR, ctx, cmd.ready ? ctx.now : null);
    case 'overdue':
      if (!isLive(row.status)) return none;
      if (cmd.fail) {
        const error = { code: 'DEADLINE_PASSED', message: 'The run was not finished by its deadline' };
        return move(
          row,
          'FAILED',
          'system',
          TaskEventReason.DEADLINE_PASSED,
          ctx,
          { overdue: 1, lastError: error, finishedAt: ctx.now, nextAt: null },
          row.dispatchId,
          { error },
        );
      }
      return row.overdue ? none : move(row, row.status, 'system', TaskEventReason.OVERDUE, ctx, { overdue: 1 });
    case 'blocked':
      // Never sent, or refused unread (429), so the attempt is given back: waiting for a target costs no retry budget.
      if (row.status !== 'DISPATCHED' || row.dispatchId !== cmd.dispatchId || row.downstreamJobId !== null)
        return stale;
      // A dispatch that waited its turn to be sent long enough may have been re-sent meanwhile, under its key, by
      // another instance's claim (which re-sends what is unanswered after `resendAfterMs`): a job may exist for it.
      // Given back, its next attempt would go under a new key and start a second job; so it stays unanswered and
      // goes out again under its key. Half the re-send delay leaves room for the two instances' clocks.
      if (mayBeResent(row, ctx)) return stale;
      return move(
        row,
        'RETRY_WAIT',
        'dispatcher',
        `TARGET_${cmd.reason}` as const,
        ctx,
        { attempt: row.attempt - 1, nextAt: ctx.now + cmd.delayMs },
        row.dispatchId,
        { delayMs: cmd.delayMs },
      );
    case 'skip':
      return row.status === 'PENDING'
        ? move(row, 'SKIPPED', 'system', TaskEventReason.PREDECESSOR_FAILED, ctx, { finishedAt: ctx.now })
        : none;
    case 'unskip':
      return row.status === 'SKIPPED'
        ? move(row, 'PENDING', 'operator', TaskEventReason.PREDECESSOR_RETRIED, ctx, {
            finishedAt: null,
            readyAt: null,
          })
        : none;
    case 'ready':
      return row.status === 'PENDING' && row.readyAt === null
        ? { next: patch(row, ctx, { readyAt: ctx.now }), answer: { type: 'applied' } }
        : none;
  }
}

function claim(row: TaskRow, ctx: DecideContext): Decision {
  const due =
    (row.status === 'PENDING' && row.readyAt !== null) || (row.status === 'RETRY_WAIT' && (row.nextAt ?? 0) <= ctx.now);
  if (due && !ctx.paused) {
    // A start that got no answer (timed out, or the connection failed) may have started a job: the next attempt
    // goes under the same key, so the downstream answers with that job instead of starting a second one. Any
    // other failure had a definite answer.
    const ambiguous = row.status === 'RETRY_WAIT' && row.downstreamJobId === null && isAmbiguous(row.lastError);
    const dispatchId = ambiguous && row.dispatchId ? row.dispatchId : ctx.newId();
    const targetUrl = ctx.targetFor(row);
    const d = move(
      row,
      'DISPATCHED',
      'dispatcher',
      TaskEventReason.DISPATCH,
      ctx,
      {
        attempt: row.attempt + 1,
        dispatchId,
        targetUrl,
        dispatchedAt: ctx.now,
        downstreamJobId: null,
        nextAt: null,
        progress: null,
      },
      dispatchId,
    );
    return { ...d, answer: { type: 'send', dispatchId, attempt: row.attempt + 1, targetUrl } };
  }
  // A dispatch whose answer never arrived (crash, lost response): send it again under the same
  // idempotency key; the downstream answers with the job it already started.
  const unanswered = ctx.now - (row.dispatchedAt ?? 0) >= (ctx.resendAfterMs ?? 0);
  if (row.status === 'DISPATCHED' && row.downstreamJobId === null && row.dispatchId && row.targetUrl && unanswered) {
    return {
      answer: {
        type: 'send',
        dispatchId: row.dispatchId,
        attempt: row.attempt,
        targetUrl: row.targetUrl,
        resend: true,
      },
    };
  }
  return none;
}

/** Whether another instance may already be re-sending this unanswered dispatch (see `claim`). */
function mayBeResent(row: TaskRow, ctx: DecideContext): boolean {
  return ctx.resendAfterMs !== undefined && ctx.now - (row.dispatchedAt ?? ctx.now) >= ctx.resendAfterMs / 2;
}

/** A failure after which the downstream may or may not have the job: it may have been sent, and no answer came. */
function isAmbiguous(error: ReportedError | null): boolean {
  return error?.code === 'DOWNSTREAM_TIMEOUT' || error?.code === 'DOWNSTREAM_UNREACHABLE';
}

function accepted(row: TaskRow, dispatchId: string, jobId: string, ctx: DecideContext): Decision {
  if (dispatchId !== row.dispatchId) return stale;
  // The attempt already failed (its send timed out, and this is another instance's re-send answering late):
  // the next attempt asks again under this key and gets this job. Recording the job id here would make that
  // attempt look like one after a definite answer, under a new key: a second job for the same file.
  if (row.status === 'RETRY_WAIT') return stale;
  if (row.status === 'DISPATCHED') {
    return move(
      row,
      'ACCEPTED',
      'dispatcher',
      TaskEventReason.DOWNSTREAM_ACCEPTED,
      ctx,
      { downstreamJobId: jobId },
      dispatchId,
    );
  }
  // The callback overtook the HTTP answer: keep the job id for polling, the state is already ahead.
  if (row.downstreamJobId === null)
    return { next: patch(row, ctx, { downstreamJobId: jobId }), answer: { type: 'applied' } };
  return duplicate;
}

function report(row: TaskRow, body: TaskCallback, actor: Actor, ctx: DecideContext): Decision {
  if (body.dispatchId !== row.dispatchId) return stale;
  const reportedAt = body.reportedAt ? Date.parse(body.reportedAt) : ctx.now;
  if (row.status === 'SUCCEEDED' || row.status === 'FAILED' || row.status === 'CANCELLED') {
    if (body.status === row.status) return duplicate;
    if (body.status === 'SUCCEEDED' || body.status === 'FAILED') {
      return conflict(`Task run ${row.id} is already ${row.status}; a ${body.status} report contradicts it`);
    }
    return stale;
  }
  if (!isInFlight(row.status)) return stale;
  const cur = RANK[row.status] ?? 0;
  const next = RANK[body.status] ?? 0;
  if (next < cur) return stale;
  if (next === cur) {
    if (body.status !== 'RUNNING' || sameProgress(row, body)) return duplicate;
    if (row.reportedAt !== null && reportedAt < row.reportedAt) return stale;
    return { next: patch(row, ctx, { progress: body.progress ?? null, reportedAt }), answer: { type: 'applied' } };
  }
  // A callback that overtook the sync request's 202 may name the job: then that answer changes nothing.
  const base = {
    reportedAt,
    progress: body.progress ?? row.progress,
    downstreamJobId: row.downstreamJobId ?? body.jobId ?? null,
  };
  switch (body.status) {
    case 'ACCEPTED':
    case 'RUNNING':
      return move(row, body.status, actor, `REPORTED_${body.status}` as const, ctx, base, row.dispatchId);
    case 'SUCCEEDED': {
      const problems = reconciliationProblems(row.file, body.reconciliation);
      return move(
        row,
        'SUCCEEDED',
        actor,
        problems.length ? TaskEventReason.RECONCILIATION_MISMATCH : TaskEventReason.REPORTED_SUCCEEDED,
        ctx,
        {
          ...base,
          finishedAt: ctx.now,
          reconciliation: body.reconciliation ?? null,
          reconStatus: problems.length ? 'MISMATCH' : 'OK',
          reconProblems: problems.length ? problems : null,
        },
        row.dispatchId,
        problems.length ? { problems } : undefined,
      );
    }
    case 'FAILED':
      return failAttempt(
        patch(row, ctx, { ...base, reconciliation: body.reconciliation ?? row.reconciliation }),
        body.error ?? { code: 'DOWNSTREAM_FAILED', message: 'The downstream reported a failure' },
        true,
        actor,
        ctx,
      );
  }
}

function failAttempt(
  row: TaskRow,
  error: ReportedError,
  retryable: boolean,
  actor: Actor,
  ctx: DecideContext,
  retryAfterMs?: number,
): Decision {
  if (retryable && row.attempt < row.maxAttempts) {
    const delay = Math.max(backoffMs(ctx.retry, row.attempt, ctx.random), retryAfterMs ?? 0);
    return move(
      row,
      'RETRY_WAIT',
      actor,
      TaskEventReason.ATTEMPT_FAILED,
      ctx,
      { lastError: error, nextAt: ctx.now + delay },
      row.dispatchId,
      { error, delayMs: delay },
    );
  }
  return move(
    row,
    'FAILED',
    actor,
    retryable ? TaskEventReason.RETRIES_EXHAUSTED : TaskEventReason.FAILED_PERMANENTLY,
    ctx,
    { lastError: error, finishedAt: ctx.now },
    row.dispatchId,
    { error },
  );
}

function retry(row: TaskRow, actor: Actor, ctx: DecideContext): Decision {
  if (row.status === 'SKIPPED') return conflict(`Task run ${row.id} was skipped; retry the failed task before it`);
  // A reconciliation MISMATCH is a success the figures contradict: it may be run again like a failure.
  const mismatch = row.status === 'SUCCEEDED' && row.reconStatus === 'MISMATCH';
  if (row.status !== 'FAILED' && row.status !== 'CANCELLED' && !mismatch) {
    return conflict(
      `Task run ${row.id} is ${row.status}; only FAILED or CANCELLED task runs (or a reconciliation MISMATCH) can be retried`,
    );
  }
  return again(row, actor, TaskEventReason.RETRIED_BY_OPERATOR, ctx, ctx.now);
}

/** Back to PENDING with a fresh retry budget; the claim that follows gives it a new dispatch id. */
function again(
  row: TaskRow,
  actor: Actor,
  reason: TaskEventReason,
  ctx: DecideContext,
  readyAt: number | null,
): Decision {
  return move(row, 'PENDING', actor, reason, ctx, {
    readyAt,
    finishedAt: null,
    nextAt: null,
    maxAttempts: row.attempt + ctx.retry.maxAttempts,
    reconStatus: null,
    reconProblems: null,
  });
}

function markSucceeded(row: TaskRow, actor: Actor, reason: string, ctx: DecideContext): Decision {
  const mismatch = row.status === 'SUCCEEDED' && row.reconStatus === 'MISMATCH';
  if (row.status !== 'FAILED' && !mismatch) {
    return conflict(
      `Task run ${row.id} is ${row.status}; only a FAILED task or a reconciliation MISMATCH can be marked succeeded`,
    );
  }
  // The problems the downstream's figures showed stay in the event, with the operator's reason.
  return move(
    row,
    'SUCCEEDED',
    actor,
    TaskEventReason.MARKED_SUCCEEDED_BY_OPERATOR,
    ctx,
    { finishedAt: ctx.now, nextAt: null, reconStatus: mismatch ? 'OK' : row.reconStatus, reconProblems: null },
    row.dispatchId,
    { reason, ...(mismatch ? { problems: row.reconProblems } : { error: row.lastError }) },
  );
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retries of a burst spread out. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  const base =
    Math.min(policy.maxDelaySeconds, policy.initialDelaySeconds * policy.factor ** Math.max(0, attempt - 1)) * 1000;
  return Math.round(base / 2 + (random() * base) / 2);
}

function sameProgress(row: TaskRow, body: TaskCallback): boolean {
  return (
    (row.progress?.processed ?? null) === (body.progress?.processed ?? null) &&
    (row.progress?.total ?? null) === (body.progress?.total ?? null)
  );
}

function patch(row: TaskRow, ctx: DecideContext, changes: Partial<TaskRow>): TaskRow {
  return { ...row, ...changes, updatedAt: ctx.now };
}

function move(
  row: TaskRow,
  to: TaskStatus,
  actor: Actor,
  reason: TaskEventReason,
  ctx: DecideContext,
  changes: Partial<TaskRow> = {},
  dispatchId: string | null = row.dispatchId,
  detail?: unknown,
): Decision {
  return {
    next: patch(row, ctx, { ...changes, status: to }),
    event: { taskRunId: row.id, fromStatus: row.status, toStatus: to, actor, reason, dispatchId, detail, at: ctx.now },
    answer: { type: 'applied' },
  };
}

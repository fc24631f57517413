import { describe, expect, it } from '@jest/globals';
import type { RetryPolicy, TaskCallback } from '#ferry/contracts';
import { backoffMs, type DecideContext, decide, type Decision, type TaskCommand } from './task-state.js';
import { newTaskRow } from './task-row.js';
import type { TaskRow, TaskStatus } from './task-status.js';

const NOW = Date.UTC(2026, 10, 24, 6, 0, 0);
const RETRY: RetryPolicy = { maxAttempts: 3, initialDelaySeconds: 10, factor: 2, maxDelaySeconds: 60 };
const FILE = { name: 'f.ndjson', recordCount: 10, checksum: 'sha256:abc' };
const GOOD = {
  expected: 10,
  received: 10,
  inserted: 6,
  updated: 2,
  deleted: 0,
  unchanged: 1,
  rejected: 1,
  checksum: 'sha256:abc',
};

let ids = 0;
function ctx(over: Partial<DecideContext> = {}): DecideContext {
  return {
    now: NOW,
    newId: () => `d-new-${++ids}`,
    random: () => 0.5,
    retry: RETRY,
    paused: false,
    targetFor: () => 'http://t',
    ...over,
  };
}

function row(status: TaskStatus, over: Partial<TaskRow> = {}): TaskRow {
  const inFlight = ['DISPATCHED', 'ACCEPTED', 'RUNNING'].includes(status);
  return {
    ...newTaskRow({
      id: 't1',
      groupRunId: 'g1',
      seq: 0,
      file: FILE,
      maxAttempts: 3,
      readyAt: NOW - 1000,
      deadlineAt: null,
      createdAt: NOW - 2000,
      updatedAt: NOW - 1000,
    }),
    status,
    attempt: inFlight || status === 'RETRY_WAIT' || status === 'FAILED' ? 1 : 0,
    dispatchId: status === 'PENDING' ? null : 'd1',
    targetUrl: status === 'PENDING' ? null : 'http://t',
    downstreamJobId: status === 'DISPATCHED' || status === 'PENDING' ? null : 'job-1',
    dispatchedAt: NOW - 500,
    nextAt: status === 'RETRY_WAIT' ? NOW - 1 : null,
    ...over,
  };
}

const cb = (status: TaskCallback['status'], extra: Partial<TaskCallback> = {}): TaskCommand => ({
  kind: 'report',
  actor: 'callback',
  body: { dispatchId: 'd1', status, ...extra },
});
const moved = (d: Decision) => d.next?.status;

describe('task state machine: legal moves', () => {
  it('claims a ready PENDING task: DISPATCHED with a fresh dispatchId, attempt + 1, a send order and an event', () => {
    const d = decide(row('PENDING'), { kind: 'claim' }, ctx());
    expect(moved(d)).toBe('DISPATCHED');
    expect(d.answer).toEqual({ type: 'send', dispatchId: d.next!.dispatchId, attempt: 1, targetUrl: 'http://t' });
    expect(d.next!.dispatchId).toMatch(/^d-new-/);
    expect(d.event).toMatchObject({
      fromStatus: 'PENDING',
      toStatus: 'DISPATCHED',
      actor: 'dispatcher',
      dispatchId: d.next!.dispatchId,
    });
  });

  it('does not claim a SYNC task that is not ready yet, a paused one, or a RETRY_WAIT task before its time', () => {
    expect(decide(row('PENDING', { readyAt: null }), { kind: 'claim' }, ctx())).toEqual({ answer: { type: 'none' } });
    expect(decide(row('PENDING'), { kind: 'claim' }, ctx({ paused: true }))).toEqual({ answer: { type: 'none' } });
    expect(decide(row('RETRY_WAIT', { nextAt: NOW + 1 }), { kind: 'claim' }, ctx())).toEqual({
      answer: { type: 'none' },
    });
    const due = decide(row('RETRY_WAIT', { nextAt: NOW }), { kind: 'claim' }, ctx());
    expect(moved(due)).toBe('DISPATCHED');
    expect(due.next!.dispatchId).not.toBe('d1');
    expect(due.next!.attempt).toBe(2);
  });

  it('re-sends an unanswered dispatch under the same dispatchId without moving', () => {
    const d = decide(row('DISPATCHED'), { kind: 'claim' }, ctx());
    expect(d.next).toBeUndefined();
    expect(d.answer).toEqual({ type: 'send', dispatchId: 'd1', attempt: 1, targetUrl: 'http://t', resend: true });
    expect(decide(row('ACCEPTED'), { kind: 'claim' }, ctx()).answer.type).toBe('none');
    // Not while its sender may still be waiting for the answer (dispatched 500 ms ago).
    expect(decide(row('DISPATCHED'), { kind: 'claim' }, ctx({ resendAfterMs: 501 })).answer).toEqual({ type: 'none' });
    expect(decide(row('DISPATCHED'), { kind: 'claim' }, ctx({ resendAfterMs: 500 })).answer.type).toBe('send');
  });

  it('records the job id a callback names, so that a later 202 for it changes nothing', () => {
    const done = decide(row('DISPATCHED'), cb('SUCCEEDED', { reconciliation: GOOD, jobId: 'job-7' }), ctx()).next!;
    expect(done).toMatchObject({ status: 'SUCCEEDED', downstreamJobId: 'job-7' });
    expect(decide(done, { kind: 'accepted', dispatchId: 'd1', jobId: 'job-7' }, ctx())).toEqual({
      answer: { type: 'ignored', reason: 'DUPLICATE' },
    });
    // Without it, the late 202 still fills the job id in (for operators), as a write without a move.
    const bare = decide(row('DISPATCHED'), cb('SUCCEEDED', { reconciliation: GOOD }), ctx()).next!;
    const late = decide(bare, { kind: 'accepted', dispatchId: 'd1', jobId: 'job-7' }, ctx());
    expect(late).toMatchObject({
      answer: { type: 'applied' },
      next: { status: 'SUCCEEDED', downstreamJobId: 'job-7' },
    });
    expect(late.event).toBeUndefined();
  });

  it('ignores a failed re-send once the downstream has acknowledged the dispatch', () => {
    const err = { code: 'DOWNSTREAM_TIMEOUT', message: 'Headers Timeout Error' };
    const failed = {
      kind: 'attemptFailed',
      dispatchId: 'd1',
      error: err,
      retryable: true,
      actor: 'dispatcher',
    } as const;
    expect(decide(row('ACCEPTED'), failed, ctx())).toEqual({ answer: { type: 'ignored', reason: 'STALE' } });
    // A callback overtook the HTTP answer: no job id yet, but the downstream has the job.
    expect(decide(row('RUNNING', { downstreamJobId: null }), failed, ctx())).toEqual({
      answer: { type: 'ignored', reason: 'STALE' },
    });
    expect(decide(row('DISPATCHED'), failed, ctx()).next!.status).toBe('RETRY_WAIT');
    // The poller's verdicts (attempt timeout, job lost) still end an acknowledged attempt.
    expect(decide(row('ACCEPTED'), { ...failed, actor: 'poller' }, ctx()).next!.status).toBe('RETRY_WAIT');
  });

  it('walks DISPATCHED → ACCEPTED → RUNNING → SUCCEEDED, checking the reconciliation', () => {
    let r = row('DISPATCHED');
    r = decide(r, { kind: 'accepted', dispatchId: 'd1', jobId: 'job-9' }, ctx()).next!;
    expect(r).toMatchObject({ status: 'ACCEPTED', downstreamJobId: 'job-9' });
    r = decide(r, cb('RUNNING', { progress: { processed: 5, total: 10 } }), ctx()).next!;
    expect(r).toMatchObject({ status: 'RUNNING', progress: { processed: 5, total: 10 } });
    const done = decide(r, cb('SUCCEEDED', { reconciliation: GOOD }), ctx());
    expect(done.next).toMatchObject({ status: 'SUCCEEDED', reconStatus: 'OK', reconProblems: null, finishedAt: NOW });
    expect(done.event).toMatchObject({
      fromStatus: 'RUNNING',
      toStatus: 'SUCCEEDED',
      actor: 'callback',
      reason: 'REPORTED_SUCCEEDED',
    });
  });

  it('may skip steps forward (DISPATCHED → SUCCEEDED) and records the poller as the actor', () => {
    const d = decide(
      row('DISPATCHED'),
      { kind: 'report', actor: 'poller', body: { dispatchId: 'd1', status: 'SUCCEEDED', reconciliation: GOOD } },
      ctx(),
    );
    expect(d.event).toMatchObject({ toStatus: 'SUCCEEDED', actor: 'poller' });
  });

  it('keeps the job id when the callback overtook the HTTP answer', () => {
    const d = decide(
      row('RUNNING', { downstreamJobId: null }),
      { kind: 'accepted', dispatchId: 'd1', jobId: 'job-2' },
      ctx(),
    );
    expect(d.next).toMatchObject({ status: 'RUNNING', downstreamJobId: 'job-2' });
    expect(d.event).toBeUndefined();
  });

  it('records a SUCCEEDED report whose counts do not add up as a MISMATCH with problems', () => {
    const d = decide(row('RUNNING'), cb('SUCCEEDED', { reconciliation: { ...GOOD, inserted: 1 } }), ctx());
    expect(d.next).toMatchObject({ status: 'SUCCEEDED', reconStatus: 'MISMATCH' });
    expect(d.next!.reconProblems!.join()).toMatch(/received 10/);
    expect(d.event).toMatchObject({ reason: 'RECONCILIATION_MISMATCH', detail: { problems: d.next!.reconProblems } });
  });

  it('turns a FAILED report with attempts left into RETRY_WAIT with a backoff, and the last one into FAILED', () => {
    const d = decide(row('RUNNING'), cb('FAILED', { error: { code: 'X', message: 'boom' } }), ctx());
    expect(d.next).toMatchObject({ status: 'RETRY_WAIT', lastError: { code: 'X', message: 'boom' } });
    expect(d.next!.nextAt! - NOW).toBe(7500); // attempt 1: base 10 s, half fixed + 0.5 × half
    const last = decide(row('RUNNING', { attempt: 3 }), cb('FAILED'), ctx());
    expect(last.next).toMatchObject({ status: 'FAILED', finishedAt: NOW, lastError: { code: 'DOWNSTREAM_FAILED' } });
    expect(last.event!.reason).toBe('RETRIES_EXHAUSTED');
  });

  it('sends the attempt after a timed-out start under the same key, and after any other failure under a new one', () => {
    const failed = (code: string) =>
      decide(
        row('DISPATCHED'),
        {
          kind: 'attemptFailed',
          dispatchId: 'd1',
          error: { code, message: 'x' },
          retryable: true,
          actor: 'dispatcher',
        },
        ctx(),
      ).next!;
    const claimAfter = (code: string) => decide({ ...failed(code), nextAt: NOW }, { kind: 'claim' }, ctx());
    // The downstream may hold a job for d1: asking again under d1 is answered with that job, never a second one.
    expect(claimAfter('DOWNSTREAM_TIMEOUT')).toMatchObject({
      next: { status: 'DISPATCHED', dispatchId: 'd1', attempt: 2 },
      answer: { type: 'send', dispatchId: 'd1' },
    });
    expect(claimAfter('DOWNSTREAM_UNREACHABLE').answer).toMatchObject({ type: 'send', dispatchId: 'd1' });
    for (const code of ['DOWNSTREAM_HTTP_503', 'ATTEMPT_TIMEOUT'])
      expect(claimAfter(code).next!.dispatchId).toMatch(/^d-new-/);
  });

  it('ignores a late 202 for a dispatch whose send timed out, so the next attempt still goes under its key', () => {
    // Another instance re-sent d1 while the first send timed out; its 202 arrives once the attempt has failed.
    const waiting = row('RETRY_WAIT', {
      nextAt: NOW,
      downstreamJobId: null,
      lastError: { code: 'DOWNSTREAM_TIMEOUT', message: 'x' },
    });
    expect(decide(waiting, { kind: 'accepted', dispatchId: 'd1', jobId: 'job-1' }, ctx())).toEqual({
      answer: { type: 'ignored', reason: 'STALE' },
    });
    expect(decide(waiting, { kind: 'claim' }, ctx()).answer).toMatchObject({ type: 'send', dispatchId: 'd1' });
  });

  it('fails a non-retryable dispatch error at once, and honours Retry-After when longer than the backoff', () => {
    const err = { code: 'DOWNSTREAM_HTTP_400', message: 'bad' };
    const perm = decide(
      row('DISPATCHED'),
      { kind: 'attemptFailed', dispatchId: 'd1', error: err, retryable: false, actor: 'dispatcher' },
      ctx(),
    );
    expect(perm.next!.status).toBe('FAILED');
    expect(perm.event!.reason).toBe('FAILED_PERMANENTLY');
    const later = decide(
      row('DISPATCHED'),
      {
        kind: 'attemptFailed',
        dispatchId: 'd1',
        error: err,
        retryable: true,
        retryAfterMs: 120_000,
        actor: 'dispatcher',
      },
      ctx(),
    );
    expect(later.next).toMatchObject({ status: 'RETRY_WAIT', nextAt: NOW + 120_000 });
  });

  it('lets an operator cancel any live task, and retry a FAILED one with a fresh budget', () => {
    for (const s of ['PENDING', 'DISPATCHED', 'ACCEPTED', 'RUNNING', 'RETRY_WAIT'] as const) {
      const d = decide(row(s), { kind: 'cancel', actor: 'operator' }, ctx());
      expect(d.event).toMatchObject({ fromStatus: s, toStatus: 'CANCELLED', actor: 'operator' });
    }
    const r = decide(row('FAILED', { attempt: 3, finishedAt: NOW - 1 }), { kind: 'retry', actor: 'operator' }, ctx());
    expect(r.next).toMatchObject({ status: 'PENDING', readyAt: NOW, finishedAt: null, maxAttempts: 6 });
    expect(decide(r.next!, { kind: 'claim' }, ctx()).next).toMatchObject({ status: 'DISPATCHED', attempt: 4 });
  });

  it('skips and un-skips SYNC successors, marks overdue once, readies a waiting task once', () => {
    expect(moved(decide(row('PENDING', { readyAt: null }), { kind: 'skip' }, ctx()))).toBe('SKIPPED');
    expect(moved(decide(row('SKIPPED'), { kind: 'unskip' }, ctx()))).toBe('PENDING');
    const o = decide(row('RUNNING'), { kind: 'overdue' }, ctx());
    expect(o.next).toMatchObject({ status: 'RUNNING', overdue: 1 });
    expect(decide(o.next!, { kind: 'overdue' }, ctx()).answer.type).toBe('none');
    const ready = decide(row('PENDING', { readyAt: null }), { kind: 'ready' }, ctx());
    expect(ready.next!.readyAt).toBe(NOW);
    expect(decide(ready.next!, { kind: 'ready' }, ctx()).answer.type).toBe('none');
  });
});

describe('task state machine: operator moves on finished tasks', () => {
  const mismatch = { reconStatus: 'MISMATCH' as const, reconProblems: ['received 9 of 10'] };

  it('marks a FAILED task succeeded, keeping the reason and the error in the event', () => {
    const error = { code: 'E', message: 'e' };
    const d = decide(
      row('FAILED', { lastError: error }),
      { kind: 'markSucceeded', actor: 'operator', reason: 'loaded by hand' },
      ctx(),
    );
    expect(d.next).toMatchObject({ status: 'SUCCEEDED', finishedAt: NOW, dispatchId: 'd1' });
    expect(d.event).toMatchObject({
      fromStatus: 'FAILED',
      toStatus: 'SUCCEEDED',
      actor: 'operator',
      reason: 'MARKED_SUCCEEDED_BY_OPERATOR',
      detail: { reason: 'loaded by hand', error },
    });
  });

  it('marks a reconciliation MISMATCH succeeded: OK, its problems kept in the event', () => {
    const d = decide(
      row('SUCCEEDED', mismatch),
      { kind: 'markSucceeded', actor: 'operator', reason: 'checked' },
      ctx(),
    );
    expect(d.next).toMatchObject({ status: 'SUCCEEDED', reconStatus: 'OK', reconProblems: null });
    expect(d.event).toMatchObject({ detail: { reason: 'checked', problems: ['received 9 of 10'] } });
  });

  it('refuses to mark anything else succeeded', () => {
    for (const s of [
      'PENDING',
      'DISPATCHED',
      'ACCEPTED',
      'RUNNING',
      'RETRY_WAIT',
      'SUCCEEDED',
      'CANCELLED',
      'SKIPPED',
    ]) {
      const d = decide(row(s as TaskStatus), { kind: 'markSucceeded', actor: 'operator', reason: 'r' }, ctx());
      expect(d).toEqual({ answer: { type: 'conflict', message: expect.any(String) } });
    }
  });

  it('retries a reconciliation MISMATCH with a fresh budget, its verdict cleared', () => {
    const d = decide(row('SUCCEEDED', { ...mismatch, attempt: 1 }), { kind: 'retry', actor: 'operator' }, ctx());
    expect(d.next).toMatchObject({ status: 'PENDING', readyAt: NOW, reconStatus: null, maxAttempts: 4 });
    expect(d.event).toMatchObject({ fromStatus: 'SUCCEEDED', reason: 'RETRIED_BY_OPERATOR' });
  });

  it('reruns any finished task, ready or waiting its turn, and refuses a live one', () => {
    for (const s of ['SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const) {
      const d = decide(row(s), { kind: 'rerun', actor: 'operator', ready: true }, ctx());
      expect(d.next).toMatchObject({ status: 'PENDING', readyAt: NOW, finishedAt: null });
      expect(d.event).toMatchObject({ fromStatus: s, reason: 'RERUN_BY_OPERATOR', actor: 'operator' });
      expect(decide(d.next!, { kind: 'claim' }, ctx()).next!.dispatchId).not.toBe('d1');
    }
    expect(decide(row('SKIPPED'), { kind: 'rerun', actor: 'operator', ready: false }, ctx()).next!.readyAt).toBeNull();
    for (const s of ['PENDING', 'DISPATCHED', 'ACCEPTED', 'RUNNING', 'RETRY_WAIT'] as const)
      expect(decide(row(s), { kind: 'rerun', actor: 'operator', ready: true }, ctx()).answer.type).toBe('conflict');
  });
});

describe('task state machine: illegal moves are refused', () => {
  it('answers STALE for an older dispatch, a step backwards, or a non-final report after the end', () => {
    const old = { kind: 'report', actor: 'callback', body: { dispatchId: 'd0', status: 'SUCCEEDED' } } as const;
    expect(decide(row('RUNNING'), old, ctx())).toEqual({ answer: { type: 'ignored', reason: 'STALE' } });
    expect(decide(row('RUNNING'), cb('ACCEPTED'), ctx()).answer).toEqual({ type: 'ignored', reason: 'STALE' });
    expect(decide(row('SUCCEEDED'), cb('RUNNING'), ctx()).answer).toEqual({ type: 'ignored', reason: 'STALE' });
    expect(decide(row('PENDING'), cb('RUNNING'), ctx()).answer).toEqual({ type: 'ignored', reason: 'STALE' });
    expect(decide(row('RETRY_WAIT'), cb('SUCCEEDED'), ctx()).answer).toEqual({ type: 'ignored', reason: 'STALE' });
    expect(decide(row('ACCEPTED'), { kind: 'accepted', dispatchId: 'd0', jobId: 'j' }, ctx()).answer).toEqual({
      type: 'ignored',
      reason: 'STALE',
    });
    expect(
      decide(
        row('RUNNING', { reportedAt: NOW }),
        cb('RUNNING', { progress: { processed: 9 }, reportedAt: new Date(NOW - 5).toISOString() }),
        ctx(),
      ).answer,
    ).toEqual({ type: 'ignored', reason: 'STALE' });
  });

  it('answers DUPLICATE for a repeat, and 409-conflict for a final report contradicting a terminal state', () => {
    expect(decide(row('SUCCEEDED'), cb('SUCCEEDED'), ctx()).answer).toEqual({ type: 'ignored', reason: 'DUPLICATE' });
    expect(decide(row('RUNNING'), cb('RUNNING'), ctx()).answer).toEqual({ type: 'ignored', reason: 'DUPLICATE' });
    expect(decide(row('ACCEPTED'), { kind: 'accepted', dispatchId: 'd1', jobId: 'job-1' }, ctx()).answer).toEqual({
      type: 'ignored',
      reason: 'DUPLICATE',
    });
    expect(decide(row('SUCCEEDED'), cb('FAILED'), ctx()).answer.type).toBe('conflict');
    expect(decide(row('FAILED'), cb('SUCCEEDED'), ctx()).answer.type).toBe('conflict');
    expect(decide(row('CANCELLED'), cb('SUCCEEDED'), ctx()).answer.type).toBe('conflict');
  });

  it('refuses to cancel a finished task and to retry anything but a FAILED or CANCELLED one', () => {
    for (const s of ['SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const)
      expect(decide(row(s), { kind: 'cancel', actor: 'operator' }, ctx()).answer.type).toBe('conflict');
    for (const s of ['PENDING', 'DISPATCHED', 'ACCEPTED', 'RUNNING', 'RETRY_WAIT', 'SUCCEEDED', 'SKIPPED'] as const) {
      const d = decide(row(s), { kind: 'retry', actor: 'operator' }, ctx());
      expect(d.answer.type).toBe('conflict');
      expect(d.next).toBeUndefined();
    }
    expect(decide(row('RUNNING'), { kind: 'skip' }, ctx()).next).toBeUndefined();
    expect(decide(row('SUCCEEDED'), { kind: 'overdue' }, ctx()).next).toBeUndefined();
  });

  it('never makes a move outside the diagram, whatever the command and state', () => {
    const allowed: Record<TaskStatus, TaskStatus[]> = {
      // A live task past a deadline whose action is FAIL fails, wherever it is.
      PENDING: ['DISPATCHED', 'CANCELLED', 'SKIPPED', 'FAILED'],
      DISPATCHED: ['ACCEPTED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'RETRY_WAIT', 'CANCELLED'],
      ACCEPTED: ['RUNNING', 'SUCCEEDED', 'FAILED', 'RETRY_WAIT', 'CANCELLED'],
      RUNNING: ['SUCCEEDED', 'FAILED', 'RETRY_WAIT', 'CANCELLED'],
      RETRY_WAIT: ['DISPATCHED', 'CANCELLED', 'FAILED'],
      // An operator reruns a finished task, retries a reconciliation MISMATCH, or marks a failure succeeded.
      SUCCEEDED: ['PENDING'],
      FAILED: ['PENDING', 'SUCCEEDED'],
      CANCELLED: ['PENDING'],
      SKIPPED: ['PENDING'],
    };
    const err = { code: 'E', message: 'e' };
    const commands: TaskCommand[] = [
      { kind: 'claim' },
      { kind: 'accepted', dispatchId: 'd1', jobId: 'j2' },
      { kind: 'cancel', actor: 'operator' },
      { kind: 'retry', actor: 'operator' },
      { kind: 'markSucceeded', actor: 'operator', reason: 'fixed by hand' },
      { kind: 'rerun', actor: 'operator', ready: true },
      { kind: 'overdue' },
      { kind: 'overdue', fail: true },
      { kind: 'skip' },
      { kind: 'unskip' },
      { kind: 'ready' },
      { kind: 'blocked', dispatchId: 'd1', delayMs: 100, reason: 'CIRCUIT_OPEN' },
      { kind: 'attemptFailed', dispatchId: 'd1', error: err, retryable: true, actor: 'poller' },
      ...(['ACCEPTED', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const).map((s) =>
        cb(s, { reconciliation: GOOD, progress: { processed: 3 } }),
      ),
    ];
    for (const status of Object.keys(allowed) as TaskStatus[]) {
      for (const cmd of commands) {
        const d = decide(row(status), cmd, ctx());
        if (d.next && d.next.status !== status)
          expect(`${status} -${cmd.kind}-> ${allowed[status].includes(d.next.status) ? 'ok' : d.next.status}`).toBe(
            `${status} -${cmd.kind}-> ok`,
          );
        if (d.event) expect(d.next).toBeDefined();
      }
    }
  });
});

describe('task state machine: deadlines and target protection', () => {
  it('a deadline with action FAIL fails any live task once, keeping its dispatch for the record', () => {
    for (const status of ['PENDING', 'DISPATCHED', 'RUNNING', 'RETRY_WAIT'] as const) {
      const d = decide(row(status), { kind: 'overdue', fail: true }, ctx());
      expect(d.next).toMatchObject({
        status: 'FAILED',
        overdue: 1,
        finishedAt: NOW,
        lastError: { code: 'DEADLINE_PASSED' },
      });
      expect(d.event).toMatchObject({
        fromStatus: status,
        toStatus: 'FAILED',
        actor: 'system',
        reason: 'DEADLINE_PASSED',
      });
    }
    expect(decide(row('FAILED'), { kind: 'overdue', fail: true }, ctx()).next).toBeUndefined();
    expect(decide(row('SUCCEEDED'), { kind: 'overdue', fail: true }, ctx()).next).toBeUndefined();
  });

  it('a blocked fresh dispatch waits in RETRY_WAIT with its attempt given back; anything else is STALE', () => {
    const claimed = decide(row('PENDING'), { kind: 'claim' }, ctx()).next!;
    const d = decide(
      claimed,
      { kind: 'blocked', dispatchId: claimed.dispatchId!, delayMs: 700, reason: 'CONCURRENCY_LIMIT' },
      ctx(),
    );
    expect(d.next).toMatchObject({ status: 'RETRY_WAIT', attempt: 0, nextAt: NOW + 700 });
    expect(d.event).toMatchObject({
      fromStatus: 'DISPATCHED',
      toStatus: 'RETRY_WAIT',
      reason: 'TARGET_CONCURRENCY_LIMIT',
    });
    const again = decide(d.next!, { kind: 'claim' }, ctx({ now: NOW + 700 }));
    expect(again.next).toMatchObject({ status: 'DISPATCHED', attempt: 1 });
    const stale = { answer: { type: 'ignored', reason: 'STALE' } };
    expect(decide(claimed, { kind: 'blocked', dispatchId: 'other', delayMs: 1, reason: 'RATE_LIMIT' }, ctx())).toEqual(
      stale,
    );
    expect(
      decide(row('ACCEPTED'), { kind: 'blocked', dispatchId: 'd1', delayMs: 1, reason: 'RATE_LIMIT' }, ctx()),
    ).toEqual(stale);
  });

  it('a block that comes after another instance may have re-sent the dispatch is STALE: the key is kept', () => {
    // Claimed at NOW - 500; another instance re-sends what is unanswered after 1,000 ms. A sender whose turn came
    // late (behind slow sends) and found the circuit open must not give the attempt back: a re-send under this
    // key may have started a job, and the next attempt would go under a new key.
    const claimed = row('DISPATCHED', { dispatchedAt: NOW - 500 });
    const block = { kind: 'blocked', dispatchId: 'd1', delayMs: 100, reason: 'CIRCUIT_OPEN' } as const;
    expect(decide(claimed, block, ctx({ resendAfterMs: 1_001 })).next).toMatchObject({ status: 'RETRY_WAIT' });
    expect(decide(claimed, block, ctx({ resendAfterMs: 1_000 }))).toEqual({
      answer: { type: 'ignored', reason: 'STALE' },
    });
    // Still DISPATCHED under d1, it is re-sent under d1 once unanswered long enough, past the guard.
    expect(decide(claimed, { kind: 'claim' }, ctx({ resendAfterMs: 500 })).answer).toMatchObject({
      type: 'send',
      dispatchId: 'd1',
      resend: true,
    });
  });
});

describe('backoff', () => {
  it('grows by the factor, is capped, and jitters between half and all of the delay', () => {
    expect(backoffMs(RETRY, 1, () => 0)).toBe(5_000);
    expect(backoffMs(RETRY, 1, () => 1)).toBe(10_000);
    expect(backoffMs(RETRY, 2, () => 1)).toBe(20_000);
    expect(backoffMs(RETRY, 3, () => 1)).toBe(40_000);
    expect(backoffMs(RETRY, 4, () => 1)).toBe(60_000);
    expect(backoffMs(RETRY, 30, () => 0)).toBe(30_000);
    for (let attempt = 1; attempt <= 8; attempt++) {
      const base = Math.min(60, 10 * 2 ** (attempt - 1)) * 1000;
      const seen = Array.from({ length: 200 }, () => backoffMs(RETRY, attempt, Math.random));
      expect(Math.min(...seen)).toBeGreaterThanOrEqual(base / 2);
      expect(Math.max(...seen)).toBeLessThanOrEqual(base);
      expect(new Set(seen).size).toBeGreaterThan(1);
    }
  });

  it('is zero for a zero initial delay', () => {
    expect(backoffMs({ ...RETRY, initialDelaySeconds: 0 }, 3, Math.random)).toBe(0);
  });
});

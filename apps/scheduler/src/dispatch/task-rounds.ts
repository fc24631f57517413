import { Inject, Injectable } from '@nestjs/common';
import type { SyncJobRequest, SyncJobView } from '#ferry/contracts';
import { CallbackBase } from '../core/callback-base.js';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import { CreatedRuns } from '../groups/created-runs.js';
import { GroupSpecs } from '../groups/group-specs.js';
import type { GroupSpec } from '../groups/group-status.js';
import type { GroupInfo } from '../groups/group-store.js';
import { TaskQueue } from '../queue/task-queue.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { type ClaimedRun, type Outcome, TaskEngine } from '../tasks/task-engine.js';
import { isInFlight, isTerminal, type TaskRow } from '../tasks/task-status.js';
import { TASK_STORE, type TaskStore } from '../tasks/task-store.js';
import type { Answer } from '../tasks/task-state.js';
import { DOWNSTREAM, type DownstreamPort, type StartResult } from './downstream.client.js';
import { AuthProfileUnusable, OutboundTokens, ProfileOriginRefused } from './outbound-tokens.js';
import { SendPermits } from './send-permits.js';
import { TargetGuard } from './target-guard.js';

/** The longest a downstream's Retry-After is honoured: a wait longer than this is asked again after it. */
const BUSY_WAIT_MAX_MS = 10 * 60_000;

/** What the queue should do with a task's job after a round. */
export type RoundResult = { done: true } | { done: false; delayMs: number };

/**
 * One round of a task's life: the first sends the sync request, later ones poll the downstream
 * as the fallback for lost callbacks, time out a silent attempt, or wait out a retry backoff.
 */
@Injectable()
export class TaskRounds {
  private readonly sendConcurrency: number;
  private readonly tuning: SchedulerConfig['tuning'];
  private readonly busyRetryMs: number;
  /** Sync requests in flight over all of this instance's rounds and group jobs (each job's own limit is per job). */
  private readonly sends: SendPermits;

  constructor(
    @Inject(TaskEngine) private readonly engine: TaskEngine,
    @Inject(GroupSpecs) private readonly groups: Pick<GroupSpecs, 'spec'>,
    @Inject(CreatedRuns) private readonly createdRuns: Pick<CreatedRuns, 'takeReady'>,
    @Inject(TASK_STORE) private readonly tasks: Pick<TaskStore, 'readyIds' | 'live'>,
    @Inject(DOWNSTREAM) private readonly downstream: DownstreamPort,
    @Inject(OutboundTokens) private readonly tokens: Pick<OutboundTokens, 'tokenFor'>,
    @Inject(CallbackBase) private readonly callbackBase: Pick<CallbackBase, 'get'>,
    @Inject(TaskQueue) private readonly queue: Pick<TaskQueue, 'enqueueEach'>,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'concurrency' | 'tuning' | 'targets'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
    @Inject(TargetGuard) private readonly guard?: TargetGuard,
  ) {
    this.sendConcurrency = config.concurrency;
    this.tuning = config.tuning;
    this.busyRetryMs = config.targets.blockedRetryMs;
    this.sends = new SendPermits(config.tuning.sendsInFlight);
  }

  async run(taskId: string): Promise<RoundResult> {
    const claimed = await this.engine.submit(taskId, { kind: 'claim' });
    if (!claimed.task) return { done: true };
    const spec = await this.spec(claimed.task);
    let task = claimed.task;
    if (claimed.answer.type === 'send') task = await this.send(task, claimed.answer, spec);
    else if (isInFlight(task.status)) task = await this.poll(task, spec);
    if (task.deadlineAt !== null && this.clock() > task.deadlineAt && !task.overdue && !isTerminal(task.status)) {
      task =
        (await this.engine.submit(task.id, { kind: 'overdue', fail: spec.deadline?.action === 'FAIL' })).task ?? task;
    }
    return this.next(task, spec);
  }

  /**
   * An ASYNC group's job. Its first run claims every ready task in one batch and sends the sync
   * requests with bounded concurrency; then the job waits one poll interval (the tasks' first poll)
   * and runs again, giving each task still live its own round, rescheduled at the interval until the
   * task is terminal. Tasks that finish before that (most, when callbacks arrive) never need a job of
   * their own. A run that finds nothing to send (that second run, or a rerun after a crash) arms the
   * live tasks' rounds at once, each due one interval after its own dispatch.
   */
  async dispatchGroup(groupRunId: string): Promise<RoundResult> {
    const ids = this.createdRuns.takeReady(groupRunId) ?? (await this.tasks.readyIds(groupRunId));
    const inFlight: TaskRow[] = [];
    let spec: GroupSpec | undefined;
    let failure: unknown;
    const step = this.tuning.groupClaimChunk;
    for (let i = 0; i < ids.length; i += step) {
      const chunk = ids.slice(i, i + step);
      let claims: Outcome[];
      if (chunk.length <= this.tuning.sharedClaimsMax) {
        // A small group's claims join the engine's batches (shared with other groups' claims and the
        // callbacks of the moment), which may commit apart: what was claimed is sent even if a batch
        // failed, and the job fails after (its rerun claims the rest) rather than leave claims unsent.
        const settled = await Promise.allSettled(chunk.map((taskId) => this.engine.submit(taskId, { kind: 'claim' })));
        claims = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        failure ??= settled.find((r) => r.status === 'rejected')?.reason;
      } else {
        claims = await this.engine.applyBatch(chunk.map((taskId) => ({ taskId, cmd: { kind: 'claim' } })));
      }
      spec ??= claims[0]?.task ? await this.spec(claims[0].task) : undefined;
      if (spec) inFlight.push(...(await this.sendAll(claims, spec)));
    }
    if (failure) throw failure;
    return this.afterSends(groupRunId, spec, inFlight);
  }

  /** A new run's first claims, decided to be written with its rows (TaskEngine.claimNew); `sendClaimed` sends them. */
  claimNew(group: GroupInfo, rows: TaskRow[]): Promise<ClaimedRun | undefined> {
    return this.engine.claimNew(group, rows);
  }

  /**
   * A run whose first claims were written with its rows (`claimNew`), once committed: the listeners hear of the
   * claims at once, and the sync requests go as the group job's first run would send them, with its answer.
   */
  async sendClaimed(groupRunId: string, run: ClaimedRun): Promise<RoundResult> {
    this.engine.announce(run.effects);
    const spec = await this.spec(run.rows[0]);
    return this.afterSends(groupRunId, spec, await this.sendAll(run.outcomes, spec));
  }

  /** Sends what the claims answered `send` to, `concurrency` at a time; answers the tasks in flight after. */
  private async sendAll(claims: Outcome[], spec: GroupSpec): Promise<TaskRow[]> {
    const after = await mapLimit(claims, this.sendConcurrency, async (c) =>
      c.task && c.answer.type === 'send' ? this.send(c.task, c.answer, spec) : undefined,
    );
    return after.filter((t): t is TaskRow => !!t && isInFlight(t.status));
  }

  /**
   * A group job's run once its sends are done: due again at the first poll of what is in flight; else each task
   * still live gets its own round and the job is done.
   */
  private async afterSends(groupRunId: string, spec: GroupSpec | undefined, inFlight: TaskRow[]): Promise<RoundResult> {
    if (spec && inFlight.length)
      return { done: false, delayMs: Math.min(...inFlight.map((t) => this.firstPollIn(t, spec))) };
    const live = await this.tasks.live(groupRunId);
    if (!live.length) return { done: true };
    const order = spec ?? (await this.spec(live[0]));
    const rounds = live.flatMap((t) => {
      const next = isInFlight(t.status)
        ? { done: false as const, delayMs: this.firstPollIn(t, order) }
        : this.next(t, order);
      return next.done ? [] : [{ id: t.id, delayMs: next.delayMs }];
    });
    await this.queue.enqueueEach(rounds);
    return { done: true };
  }

  /** How long until an in-flight attempt's first poll (or its timeout, if sooner), counted from its dispatch. */
  private firstPollIn(task: TaskRow, spec: GroupSpec): number {
    const sent = task.dispatchedAt ?? this.clock();
    const due = Math.min(sent + spec.pollIntervalSeconds * 1000, sent + spec.attemptTimeoutSeconds * 1000 + 1);
    return Math.max(0, due - this.clock());
  }

  private send(task: TaskRow, order: Extract<Answer, { type: 'send' }>, spec: GroupSpec): Promise<TaskRow> {
    return this.sends.run(() => this.sendNow(task, order, spec));
  }

  private async sendNow(task: TaskRow, order: Extract<Answer, { type: 'send' }>, spec: GroupSpec): Promise<TaskRow> {
    // A new attempt must pass the target's breaker, cap and rate limit; if not, it waits without
    // spending the attempt. A re-send of an unanswered dispatch is already counted and goes as is.
    if (this.guard && !order.resend) {
      const admission = await this.guard.admit(order.targetUrl, task.id, spec);
      if (!admission.ok) {
        const cmd = {
          kind: 'blocked',
          dispatchId: order.dispatchId,
          delayMs: admission.waitMs,
          reason: admission.reason,
        } as const;
        return (await this.engine.submit(task.id, cmd)).task ?? task;
      }
    }
    const body: SyncJobRequest = {
      taskRunId: task.id,
      dispatchId: order.dispatchId,
      callbackUrl: `${this.callbackBase.get()}/api/v1/callbacks/tasks/${task.id}`,
      dataset: task.file.dataset,
      files: [task.file],
      businessDate: spec.businessDate,
      attributes: spec.attributes ?? {},
    };
    const res = await this.start(order, body, spec);
    if (!res.ok && res.error.code === 'DOWNSTREAM_HTTP_429') {
      // The downstream is full, not broken: the attempt is given back and the task waits as long as it asks
      // (within reason), so a busy consumer cannot use up a task's retries. A deadline still ends the wait.
      const delayMs = Math.min(Math.max(res.retryAfterMs ?? 0, this.busyRetryMs), BUSY_WAIT_MAX_MS);
      const cmd = { kind: 'blocked', dispatchId: order.dispatchId, delayMs, reason: 'BUSY' } as const;
      return (await this.engine.submit(task.id, cmd)).task ?? task;
    }
    if (res.ok) {
      // Committed with the task's first callback when that comes soon (it usually does), else shortly.
      this.engine.defer(task.id, { kind: 'accepted', dispatchId: order.dispatchId, jobId: res.jobId });
      return task;
    }
    const out = await this.engine.submit(task.id, {
      kind: 'attemptFailed',
      dispatchId: order.dispatchId,
      error: res.error,
      retryable: res.retryable,
      retryAfterMs: res.retryAfterMs,
      actor: 'dispatcher',
    });
    return out.task ?? task;
  }

  /** Sends the sync request, unless the definition's auth profile may not go to the target: then nothing is sent. */
  private async start(
    order: Extract<Answer, { type: 'send' }>,
    body: SyncJobRequest,
    spec: GroupSpec,
  ): Promise<StartResult> {
    let token: string;
    try {
      token = await this.tokens.tokenFor(spec.target.authProfile, order.targetUrl);
    } catch (err) {
      if (!(err instanceof ProfileOriginRefused || err instanceof AuthProfileUnusable)) throw err;
      // Nothing is sent without a usable key that may go there: the attempt fails with why, for the operator
      // to see. The target is not to blame: its breaker does not count this.
      return { ok: false, retryable: true, error: { code: err.code, message: err.message } };
    }
    const res = await this.downstream.start(order.targetUrl, body, order.dispatchId, token);
    await this.recordOutcome(order.targetUrl, res);
    return res;
  }

  /**
   * A poll's or a cancel's token; none when the auth profile cannot sign or may no longer go to the target:
   * nothing is sent then (the send reports why), never unsigned.
   */
  private async pollToken(spec: GroupSpec, targetUrl: string): Promise<string | undefined> {
    try {
      return await this.tokens.tokenFor(spec.target.authProfile, targetUrl);
    } catch (err) {
      if (err instanceof ProfileOriginRefused || err instanceof AuthProfileUnusable) return undefined;
      throw err;
    }
  }

  /** 5xx, timeouts and connection errors count against the target's breaker; a 429 says nothing about its health. */
  private async recordOutcome(url: string, res: Awaited<ReturnType<DownstreamPort['start']>>): Promise<void> {
    if (!this.guard || (!res.ok && res.error.code === 'DOWNSTREAM_HTTP_429')) return;
    await this.guard
      .record(
        url,
        !res.ok && res.retryable ? 'failure' : 'success',
        res.ok ? '' : `${res.error.code}: ${res.error.message}`,
      )
      .catch(() => undefined);
  }

  /** The poller ends an attempt (timed out, or its job lost): retried per the definition's policy. */
  private async failAttempt(task: TaskRow, dispatchId: string, error: { code: string; message: string }) {
    const cmd = { kind: 'attemptFailed', dispatchId, error, retryable: true, actor: 'poller' } as const;
    return (await this.engine.submit(task.id, cmd)).task ?? task;
  }

  private async poll(task: TaskRow, spec: GroupSpec): Promise<TaskRow> {
    const dispatchId = task.dispatchId!;
    if (this.clock() - (task.dispatchedAt ?? 0) > spec.attemptTimeoutSeconds * 1000) {
      const token = await this.pollToken(spec, task.targetUrl!);
      if (token && task.downstreamJobId) await this.downstream.cancel(task.targetUrl!, task.downstreamJobId, token);
      const error = { code: 'ATTEMPT_TIMEOUT', message: `No result within ${spec.attemptTimeoutSeconds}s` };
      return this.failAttempt(task, dispatchId, error);
    }
    if (!task.downstreamJobId) {
      // DISPATCHED: the sender is still waiting for its answer (the claim re-sends once it surely gave up).
      if (task.status === 'DISPATCHED') return task;
      // The callback overtook a lost HTTP answer: ask again under the same key to learn the job id.
      return this.send(
        task,
        { type: 'send', dispatchId, attempt: task.attempt, targetUrl: task.targetUrl!, resend: true },
        spec,
      );
    }
    const token = await this.pollToken(spec, task.targetUrl!);
    if (!token) return task; // the attempt timeout bounds the wait, as for an unreachable target
    const res = await this.downstream.status(task.targetUrl!, task.downstreamJobId, token);
    if (!res.ok) {
      if (res.invalid) return this.failAttempt(task, dispatchId, res.error);
      if (!res.notFound) return task; // unreachable for now: the attempt timeout bounds the wait
      const error = {
        code: 'DOWNSTREAM_JOB_LOST',
        message: `The downstream no longer knows job ${task.downstreamJobId}`,
      };
      return this.failAttempt(task, dispatchId, error);
    }
    const body = toReport(res.view, dispatchId);
    if (!body) return task;
    return (await this.engine.submit(task.id, { kind: 'report', actor: 'poller', body })).task ?? task;
  }

  private next(task: TaskRow, spec: GroupSpec): RoundResult {
    if (isTerminal(task.status)) return { done: true };
    const now = this.clock();
    if (task.status === 'PENDING')
      return task.readyAt === null ? { done: true } : { done: false, delayMs: spec.pollIntervalSeconds * 1000 };
    if (task.status === 'RETRY_WAIT') return { done: false, delayMs: Math.max(0, (task.nextAt ?? now) - now) };
    const timeoutAt = (task.dispatchedAt ?? now) + spec.attemptTimeoutSeconds * 1000;
    return { done: false, delayMs: Math.max(0, Math.min(spec.pollIntervalSeconds * 1000, timeoutAt - now + 1)) };
  }

  private async spec(task: TaskRow): Promise<GroupSpec> {
    return (await this.groups.spec(task.groupRunId))!;
  }
}

function toReport(view: SyncJobView, dispatchId: string) {
  const status = view.status === 'CANCELLED' ? 'FAILED' : view.status;
  if (!['ACCEPTED', 'RUNNING', 'SUCCEEDED', 'FAILED'].includes(status)) return undefined;
  return {
    dispatchId,
    status: status as 'ACCEPTED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED',
    // A downstream may answer null for what it does not have yet (the poll answer's check allows it).
    progress: view.progress ?? undefined,
    reconciliation: view.reconciliation ?? undefined,
    error:
      view.error ??
      (view.status === 'CANCELLED'
        ? { code: 'DOWNSTREAM_CANCELLED', message: 'The downstream cancelled the job' }
        : undefined),
  };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import { GroupSpecs } from '../groups/group-specs.js';
import type { GroupInfo } from '../groups/group-store.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import type { Tx } from '../storage/tx.js';
import { AcceptLinger } from './accept-linger.js';
import { MicroBatcher } from './micro-batcher.js';
import { syncCascade } from './sync-cascade.js';
import { Work } from './task-batch.js';
import { type Effects, TASK_LIFECYCLE_LISTENERS, type TaskLifecycleListener } from './task-listeners.js';
import { type Answer, type DecideContext, decide, type TaskCommand } from './task-state.js';
import type { TaskEventDraft, TaskRow } from './task-status.js';
import { TASK_STORE, type TaskStore } from './task-store.js';

export type { Effects } from './task-listeners.js';

export interface Submission {
  taskId: string;
  cmd: TaskCommand;
  /**
   * Who may send the command, checked on the task's group (its spec, already loaded) before it is decided:
   * false answers `forbidden`, with no task, and changes nothing.
   */
  allowed?: (group: GroupInfo) => boolean;
}

export type Outcome = { answer: Answer | { type: 'notFound' } | { type: 'forbidden' }; task?: TaskRow };

/** A new run's first claims, decided before its rows are written (`TaskEngine.claimNew`). */
export interface ClaimedRun {
  /** The run's tasks as claimed: what is written in place of the new rows. */
  rows: TaskRow[];
  /** The claims' events, written with the rows. */
  events: TaskEventDraft[];
  /** Each claim's outcome: what to send. */
  outcomes: Outcome[];
  /** What the listeners are told once the rows are committed (`announce`). */
  effects: Effects;
}

class LostRace extends Error {
  constructor(
    message: string,
    readonly ids: Iterable<string>,
  ) {
    super(message);
  }
}

/**
 * Applies task commands in batches: loads the tasks, runs each command through the state machine,
 * and writes every changed row with a version check together with its events, all or nothing (and,
 * for SYNC groups, readies the next task or skips the rest). A lost race reruns the batch on fresh
 * rows; the listeners hear of every committed batch (group recounts, queue, alerts, telemetry).
 */
@Injectable()
export class TaskEngine {
  private readonly batcher: MicroBatcher<Submission, Outcome>;
  private readonly linger: AcceptLinger<Submission>;
  /** How long a sender may wait for a dispatch's answer before another round re-sends it (DecideContext). */
  private readonly resendAfterMs: number;
  private readonly lostRaceRounds: number;

  constructor(
    @Inject(TASK_STORE) private readonly store: TaskStore,
    @Inject(GroupSpecs) private readonly groups: Pick<GroupSpecs, 'info' | 'isPaused'>,
    @Inject(TASK_LIFECYCLE_LISTENERS) private readonly listeners: TaskLifecycleListener[],
    @Inject(SCHEDULER_CONFIG)
    config: Pick<SchedulerConfig, 'lanes' | 'dispatchTimeoutMs' | 'acceptLingerMs' | 'tuning'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {
    this.resendAfterMs = config.dispatchTimeoutMs + 1000;
    this.lostRaceRounds = config.tuning.lostRaceRounds;
    this.batcher = new MicroBatcher(
      (items) => this.applyBatch(items),
      (s) => s.taskId,
      store.lanes(config.lanes),
      config.tuning.engineBatchMax,
    );
    this.linger = new AcceptLinger(config.acceptLingerMs, async (held) => {
      await Promise.all(held.map((s) => this.batcher.submit(s).catch(() => undefined)));
    });
  }

  submit(taskId: string, cmd: TaskCommand, allowed?: Submission['allowed']): Promise<Outcome> {
    return this.batcher.submit({ taskId, cmd, allowed });
  }

  /**
   * Commits a command within the accept linger, or together with its task's next command if that
   * comes first (AcceptLinger): only for a downstream's 202 to a sync request.
   */
  defer(taskId: string, cmd: TaskCommand): void {
    if (!this.linger.hold({ taskId, cmd })) void this.submit(taskId, cmd).catch(() => undefined);
  }

  /**
   * The first claims of a new run's tasks, before its rows are written: each decided by the state machine as any
   * claim is, on the row as it will be written, so that the rows go in claimed with their events and the claims cost
   * no write of their own. Undefined, and nothing decided, unless every task would be sent now (a disabled
   * definition, say): the run is then written as new and claimed as usual. The caller writes `rows` and `events`
   * together in place of the new rows, and `announce`s the effects once they are committed.
   */
  async claimNew(group: GroupInfo, rows: TaskRow[]): Promise<ClaimedRun | undefined> {
    const now = this.clock();
    // Outside any unit of work: the flag is nearly always remembered, and a miss is a read of its own.
    const paused = await this.groups.isPaused(undefined, group.spec.definitionId, now);
    const ctx = this.context(now, group, paused);
    const work = new Work(new Map(rows.map((r) => [r.id, r])));
    const outcomes: Outcome[] = [];
    for (const row of rows) {
      const d = decide(row, { kind: 'claim' }, ctx);
      if (d.answer.type !== 'send' || !d.next) return undefined;
      work.record(row, d.next, d.event);
      outcomes.push({ answer: d.answer, task: d.next });
    }
    return { rows: rows.map((r) => work.rows.get(r.id)!), events: work.events, outcomes, effects: work.effects() };
  }

  /** Tells the listeners of moves committed outside a batch: claims written with their new rows (`claimNew`). */
  announce(effects: Effects): void {
    for (const l of this.listeners) l.afterCommit(effects);
  }

  /** Commits every deferred command now (the scheduler is stopping). */
  flush(): Promise<void> {
    return this.linger.flush();
  }

  /**
   * Applies the commands in one unit of work. `within` runs in the same transaction after the moves are
   * written, with their outcomes (an operator's move writes its audit event there).
   */
  async applyBatch(
    submitted: Submission[],
    within?: (tx: Tx, outcomes: Outcome[]) => Promise<void>,
  ): Promise<Outcome[]> {
    // A held command goes first, in the same write as its task's next one.
    const early = this.linger.takeFor(submitted);
    const items = early.length ? [...early, ...submitted] : submitted;
    // Rows to read fresh: a lost race, or an answer decided on a remembered row, reads them again.
    const fresh = new Set<string>();
    for (let round = 1; ; round++) {
      try {
        const { outcomes, effects } = await this.store.unitOfWork(
          async (tx) => {
            const applied = await this.applyIn(tx, items, fresh);
            if (within) await within(tx, early.length ? applied.outcomes.slice(early.length) : applied.outcomes);
            return applied;
          },
          within ? { transaction: true } : undefined,
        );
        for (const l of this.listeners) l.afterCommit(effects);
        return early.length ? outcomes.slice(early.length) : outcomes;
      } catch (err) {
        if (!(err instanceof LostRace) || round >= this.lostRaceRounds) throw err;
        for (const id of err.ids) fresh.add(id);
      }
    }
  }

  private async applyIn(
    tx: Tx,
    items: Submission[],
    fresh: Set<string>,
  ): Promise<{ outcomes: Outcome[]; effects: Effects }> {
    const now = this.clock();
    const ids = [...new Set(items.map((i) => i.taskId))];
    const { rows, remembered } = await this.store.load(tx, ids, fresh);
    const groups = await this.groups.info(tx, [...new Set([...rows.values()].map((r) => r.groupRunId))]);
    const work = new Work(rows);
    const outcomes: Outcome[] = [];
    const decided = new Set<string>();
    for (const { taskId, cmd, allowed } of items) {
      const row = work.rows.get(taskId);
      const group = row && groups.get(row.groupRunId);
      if (!row || !group) {
        outcomes.push({ answer: { type: 'notFound' } });
        continue;
      }
      // A task never changes group, so a refusal holds on a remembered row too: it needs no fresh read.
      if (allowed && !allowed(group)) {
        outcomes.push({ answer: { type: 'forbidden' } });
        continue;
      }
      decided.add(taskId);
      const paused = cmd.kind === 'claim' ? await this.groups.isPaused(tx, group.spec.definitionId, now) : false;
      const d = decide(row, cmd, this.context(now, group, paused));
      work.record(row, d.next, d.event);
      outcomes.push({ answer: d.answer, task: d.next ?? row });
    }
    // An answer that writes nothing has no version check behind it: decided on a remembered row, it is decided again.
    const unverified = [...remembered].filter((id) => decided.has(id) && !work.changed.has(id));
    if (unverified.length) throw new LostRace('answers decided on remembered rows', unverified);
    await this.cascadeSync(tx, work, groups, now);
    const won = await this.store.commit(
      tx,
      [...work.changed.values()].map((row) => ({
        row,
        expectedVersion: work.original.get(row.id)!.version,
        before: work.original.get(row.id),
      })),
      work.events,
    );
    if (!won) throw new LostRace('another writer moved a task of this batch first', ids);
    for (const o of outcomes)
      if (o.task && work.changed.has(o.task.id)) o.task = { ...o.task, version: o.task.version + 1 };
    return { outcomes, effects: work.effects() };
  }

  /** SYNC groups: a success readies the next task; a final failure skips the rest; a retry (or a mark) un-skips them. */
  private async cascadeSync(tx: Tx, work: Work, groups: Map<string, GroupInfo>, now: number): Promise<void> {
    for (const row of [...work.changed.values()]) {
      const group = groups.get(row.groupRunId)!;
      for (
        let cascade = syncCascade(group.runMode, work.original.get(row.id)!.status, row.status);
        cascade;
        cascade = cascade.then
      ) {
        for (const other of await this.store.loadSiblings(tx, row.groupRunId, { seq: row.seq, scope: cascade.scope })) {
          const current = work.rows.get(other.id) ?? other;
          if (!work.original.has(other.id)) work.original.set(other.id, other);
          const d = decide(current, cascade.command, this.context(now, group, false));
          work.record(current, d.next, d.event);
        }
      }
    }
  }

  private context(now: number, group: GroupInfo, paused: boolean): DecideContext {
    const urls = group.spec.target.urls;
    return {
      now,
      paused,
      newId: randomUUID,
      random: Math.random,
      retry: group.spec.retry,
      resendAfterMs: this.resendAfterMs,
      // ASYNC tasks are spread over every downstream instance; a retry moves to the next one.
      targetFor: (row) => urls[(row.seq + row.attempt) % urls.length],
    };
  }
}

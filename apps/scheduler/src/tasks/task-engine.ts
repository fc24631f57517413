import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Db } from '#ferry/persistence';
import type { GroupRunPlan } from '../groups/group-run.factory.js';
import type { GroupSpec } from '../groups/group-status.js';
import { type GroupInfo, GroupStore } from '../groups/group-store.js';
import { COUNTER_BY_STATUS } from '../groups/group-status.js';
import { MicroBatcher } from './micro-batcher.js';
import { type Answer, type DecideContext, decide, type TaskCommand } from './task-state.js';
import { isTerminal, type TaskEventDraft, type TaskRow } from './task-status.js';
import { TaskStore } from './task-store.js';

export interface Submission {
  taskId: string;
  cmd: TaskCommand;
}

export type Outcome = { answer: Answer | { type: 'notFound' }; task?: TaskRow };

/** What the caller must do after a batch committed: queue newly ready tasks, drop finished ones. */
export interface Effects {
  ready: string[];
  finished: string[];
  retryWaits: Array<{ id: string; at: number }>;
  /** Groups whose counts moved: their status is recomputed after the commit (GroupStore.refresh). */
  groups: string[];
  /** Every committed event with its task as the batch left it (alerts and target permits follow these). */
  moved: Array<{ event: TaskEventDraft; task: TaskRow }>;
}

class LostRace extends Error {
  constructor(
    message: string,
    readonly ids: Iterable<string>,
  ) {
    super(message);
  }
}

/** Live task rows as this process last read or wrote them: at most this many are kept. */
const CACHE_LIMIT = 20_000;
const CREATED_IDS_LIMIT = 20_000;

/**
 * Applies task commands in batches: loads the tasks, runs each command through the state machine,
 * and writes every changed row with a version check together with its events, all or nothing (and,
 * for SYNC groups, readies the next task or skips the rest). A lost race reruns the batch; group
 * counts follow after the commit (GroupStore.refreshLater).
 */
export class TaskEngine {
  private readonly batcher: MicroBatcher<Submission, Outcome>;
  readonly store: TaskStore;
  private readonly deferred = new Map<string, Submission>();
  private lingerTimer?: NodeJS.Timeout;
  /**
   * The rows this process last committed or read, so that a task's next command (its callback after
   * its claim) needs no read. Never trusted alone: a write checks the version it was decided on, and
   * an answer that writes nothing is decided again on a fresh read (`applyIn`).
   */
  private readonly cache = new Map<string, TaskRow>();
  private readonly createdReady = new Map<string, string[]>();
  private createdIds = 0;

  constructor(
    private readonly db: Db,
    readonly groups: GroupStore,
    private readonly onEffects: (e: Effects) => void,
    lanes: number,
    private readonly clock: () => number = Date.now,
    /** How long a sender may wait for a dispatch's answer before another round re-sends it (DecideContext). */
    private readonly resendAfterMs = 0,
    /** How long a deferred command may wait for its task's next command (`defer`); 0 commits at once. */
    private readonly lingerMs = 0,
  ) {
    this.store = new TaskStore(db.type === 'postgres');
    this.batcher = new MicroBatcher(
      (items) => this.applyBatch(items),
      (s) => s.taskId,
      db.type === 'sqlite' ? 1 : lanes,
    );
  }

  submit(taskId: string, cmd: TaskCommand): Promise<Outcome> {
    return this.batcher.submit({ taskId, cmd });
  }

  /**
   * Commits a command within `lingerMs`, or together with its task's next command if that comes first,
   * so that one row write carries both moves (each keeps its event). Only for moves whose loss in a
   * crash is repaired by the protocol: the downstream's 202 to a sync request (a re-send under the
   * same Idempotency-Key learns the job id again). A downstream that calls back at once thus costs
   * one task write instead of two.
   */
  defer(taskId: string, cmd: TaskCommand): void {
    if (this.lingerMs <= 0) {
      void this.submit(taskId, cmd).catch(() => undefined);
      return;
    }
    this.deferred.set(taskId, { taskId, cmd });
    this.lingerTimer ??= setTimeout(() => void this.flush(), this.lingerMs);
  }

  /** Commits every deferred command now (the linger ended, or the scheduler is stopping). */
  async flush(): Promise<void> {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const items = [...this.deferred.values()];
    this.deferred.clear();
    await Promise.all(items.map((i) => this.batcher.submit(i).catch(() => undefined)));
  }

  async applyBatch(submitted: Submission[]): Promise<Outcome[]> {
    // A deferred command goes first, in the same write as its task's next one.
    const early = this.deferred.size
      ? submitted
          .filter((i) => this.deferred.has(i.taskId))
          .map((i) => this.takeDeferred(i.taskId))
          .filter((i) => !!i)
      : [];
    const items = early.length ? [...early, ...submitted] : submitted;
    // Rows read fresh this call: a lost race or an answer decided on a cached row reads them again.
    const fresh = new Set<string>();
    for (let round = 1; ; round++) {
      try {
        // PostgreSQL: no explicit transaction. The rows are read plainly and written back by one
        // all-or-nothing statement with version checks (two round trips per batch instead of five).
        const { outcomes, effects } =
          this.db.type === 'postgres'
            ? await this.applyIn(this.db.dataSource.manager, items, fresh)
            : await this.db.tx((em) => this.applyIn(em, items, fresh));
        this.onEffects(effects);
        return early.length ? outcomes.slice(early.length) : outcomes;
      } catch (err) {
        if (!(err instanceof LostRace) || round >= 8) throw err;
        for (const id of err.ids) {
          fresh.add(id);
          this.cache.delete(id);
        }
      }
    }
  }

  private takeDeferred(taskId: string): Submission | undefined {
    const item = this.deferred.get(taskId);
    this.deferred.delete(taskId);
    return item;
  }

  private async applyIn(
    em: EntityManager,
    items: Submission[],
    fresh: Set<string>,
  ): Promise<{ outcomes: Outcome[]; effects: Effects }> {
    const now = this.clock();
    const ids = [...new Set(items.map((i) => i.taskId))];
    // The cached rows are taken before the read: other batches evict and replace entries meanwhile
    // (at 20,000 live tasks and more), and a row gone by then would make its task look unknown (404).
    const cached = new Map<string, TaskRow>();
    for (const id of ids) {
      const row = fresh.has(id) ? undefined : this.cache.get(id);
      if (row) cached.set(id, row);
    }
    const loaded = await this.store.load(
      em,
      ids.filter((id) => !cached.has(id)),
    );
    const fromCache = new Set<string>();
    for (const [id, row] of cached) {
      if (loaded.has(id)) continue;
      loaded.set(id, row);
      fromCache.add(id);
    }
    const groups = await this.groups.info(em, [...new Set([...loaded.values()].map((r) => r.groupRunId))]);
    const work = new Work(loaded);
    const outcomes: Outcome[] = [];
    for (const { taskId, cmd } of items) {
      const row = work.rows.get(taskId);
      const group = row && groups.get(row.groupRunId);
      if (!row || !group) {
        outcomes.push({ answer: { type: 'notFound' } });
        continue;
      }
      const paused = cmd.kind === 'claim' ? await this.groups.isPaused(em, group.spec.definitionId, now) : false;
      const d = decide(row, cmd, this.context(now, group, paused));
      work.record(row, d.next, d.event);
      outcomes.push({ answer: d.answer, task: d.next ?? row });
    }
    // An answer that writes nothing has no version check behind it:
    // if a cached row decided it, decide again on a fresh read.
    const unverified = [...fromCache].filter((id) => !work.changed.has(id));
    if (unverified.length) throw new LostRace('answers decided on cached rows', unverified);
    await this.cascadeSync(em, work, groups, now);
    const won = await this.store.commit(
      em,
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
    this.remember(work, loaded);
    return {
      outcomes,
      effects: {
        ready: work.ready(),
        finished: work.finished(),
        retryWaits: work.retryWaits(),
        groups: work.groupsTouched(),
        moved: work.moved(),
      },
    };
  }

  /**
   * Group runs just created and committed here: their spec and their tasks' first claims need no
   * read, nor does the group job's list of ready tasks (ASYNC runs of up to 1,000 tasks, see `takeCreated`).
   */
  created(plans: GroupRunPlan[]): void {
    for (const { group, tasks } of plans) {
      this.groups.remember({ id: group.id, runMode: group.runMode as 'SYNC' | 'ASYNC', spec: group.spec as GroupSpec });
      for (const row of tasks) this.keep(row);
      if (group.runMode !== 'ASYNC' || tasks.length > 1000) continue;
      const ids = tasks.filter((t) => t.readyAt !== null).map((t) => t.id);
      this.createdReady.set(group.id, ids);
      this.createdIds += ids.length;
      // Bounded by ids, not groups: with several instances most group jobs run elsewhere and never take theirs.
      while (this.createdIds > CREATED_IDS_LIMIT) {
        const [oldest, dropped] = this.createdReady.entries().next().value!;
        this.createdReady.delete(oldest);
        this.createdIds -= dropped.length;
      }
    }
  }

  /**
   * The ready tasks of a group run created here, as created, once: its job's first run then claims
   * them without a read (a claim decided on a row someone moved since is decided again on a fresh
   * one). A rerun, or the job on another instance, finds nothing here and reads the database.
   */
  takeCreated(groupRunId: string): string[] | undefined {
    const ids = this.createdReady.get(groupRunId);
    if (ids) {
      this.createdReady.delete(groupRunId);
      this.createdIds -= ids.length;
    }
    return ids;
  }

  /** Keeps the live rows as the batch left them (terminal ones are rarely asked about again). */
  private remember(work: Work, read: Map<string, TaskRow>): void {
    for (const row of read.values()) if (!work.changed.has(row.id)) this.keep(row);
    for (const row of work.changed.values()) this.keep({ ...row, version: row.version + 1 });
  }

  private keep(row: TaskRow): void {
    this.cache.delete(row.id);
    if (isTerminal(row.status)) return;
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(row.id, row);
  }

  /** SYNC groups: a success readies the next task; a final failure skips the rest; a retry un-skips them. */
  private async cascadeSync(em: EntityManager, work: Work, groups: Map<string, GroupInfo>, now: number): Promise<void> {
    for (const row of [...work.changed.values()]) {
      const group = groups.get(row.groupRunId)!;
      const before = work.original.get(row.id)!;
      if (group.runMode !== 'SYNC' || before.status === row.status) continue;
      let cmd: TaskCommand | undefined;
      let where = 't.groupRunId = :g AND t.seq > :s';
      if (row.status === 'SUCCEEDED') {
        cmd = { kind: 'ready' };
        where = 't.groupRunId = :g AND t.seq = :s + 1';
      } else if (row.status === 'FAILED' || row.status === 'CANCELLED') cmd = { kind: 'skip' };
      else if (row.status === 'PENDING' && (before.status === 'FAILED' || before.status === 'CANCELLED'))
        cmd = { kind: 'unskip' };
      if (!cmd) continue;
      for (const other of await this.store.loadWhere(em, where, { g: row.groupRunId, s: row.seq })) {
        const current = work.rows.get(other.id) ?? other;
        if (!work.original.has(other.id)) work.original.set(other.id, other);
        const d = decide(current, cmd, this.context(now, group, false));
        work.record(current, d.next, d.event);
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

/** The rows a batch read and changed, and what changed. */
class Work {
  readonly rows: Map<string, TaskRow>;
  readonly original: Map<string, TaskRow>;
  readonly changed = new Map<string, TaskRow>();
  readonly events: TaskEventDraft[] = [];

  constructor(loaded: Map<string, TaskRow>) {
    this.original = new Map(loaded);
    this.rows = new Map(loaded);
  }

  record(row: TaskRow, next: TaskRow | undefined, event: TaskEventDraft | undefined): void {
    if (next) {
      this.rows.set(row.id, next);
      this.changed.set(row.id, next);
    }
    if (event) this.events.push(event);
  }

  /** Groups with a task whose counted class (succeeded, failed, cancelled, skipped, live) changed. */
  groupsTouched(): string[] {
    const touched = new Set<string>();
    for (const row of this.changed.values()) {
      if (COUNTER_BY_STATUS[this.original.get(row.id)!.status] !== COUNTER_BY_STATUS[row.status])
        touched.add(row.groupRunId);
    }
    return [...touched];
  }

  ready(): string[] {
    return [...this.changed.values()]
      .filter((r) => r.status === 'PENDING' && r.readyAt !== null)
      .filter((r) => this.original.get(r.id)!.readyAt === null || this.original.get(r.id)!.status !== 'PENDING')
      .map((r) => r.id);
  }

  /** Tasks that entered RETRY_WAIT: their queued round must be brought forward to the backoff's end. */
  retryWaits(): Array<{ id: string; at: number }> {
    return [...this.changed.values()]
      .filter((r) => r.status === 'RETRY_WAIT' && this.original.get(r.id)!.status !== 'RETRY_WAIT')
      .map((r) => ({ id: r.id, at: r.nextAt ?? 0 }));
  }

  moved(): Array<{ event: TaskEventDraft; task: TaskRow }> {
    return this.events.map((event) => ({ event, task: this.rows.get(event.taskRunId)! }));
  }

  finished(): string[] {
    return [...this.changed.values()]
      .filter((r) => !['PENDING', 'DISPATCHED', 'ACCEPTED', 'RUNNING', 'RETRY_WAIT'].includes(r.status))
      .map((r) => r.id);
  }
}

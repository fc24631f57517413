import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { TriggerMessage } from '#ferry/contracts';
import { Db } from '#ferry/persistence';
import type { GroupStatusChange, GroupStatusListener } from '../groups/group-listeners.js';
import { GroupSpecs } from '../groups/group-specs.js';
import type { GroupInfo } from '../groups/group-store.js';
import { TaskRunEntity } from '../persistence/index.js';
import type { Effects, TaskLifecycleListener } from '../tasks/task-listeners.js';
import { TaskEventReason, type TaskRow } from '../tasks/task-status.js';
import { type AlertDraft, AlertsService } from './alerts.service.js';

/** One UNMATCHED_TRIGGER alert per (source, event): hashed, as both are up to 200 characters of the sender's text. */
function unmatchedKey(source: string, event: string): string {
  return `UNMATCHED_TRIGGER:${createHash('sha256')
    .update(JSON.stringify([source, event]))
    .digest('base64url')}`;
}

/**
 * Turns what happened into alerts, after the fact: committed task moves (prompt), group status
 * changes (which the reconciler also replays after a crash, so nothing is missed), unmatched triggers.
 * The state machine stays pure; raising an alert never holds up a task.
 */
@Injectable()
export class AlertRaiser implements TaskLifecycleListener, GroupStatusListener {
  private readonly logger = new Logger('Alerts');
  private readonly inFlight = new Set<Promise<void>>();
  private changes: Array<{ id: string; status: string }> = [];

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(AlertsService) private readonly alerts: AlertsService,
    @Inject(GroupSpecs) private readonly groups: Pick<GroupSpecs, 'info'>,
  ) {}

  afterCommit(e: Effects): void {
    this.onMoves(e.moved);
  }

  onMoves(moved: Effects['moved']): void {
    const drafts = new Map<string, { kind: AlertDraft['kind']; task: TaskRow; message: string; detail?: unknown }>();
    const add = (kind: AlertDraft['kind'], task: TaskRow, message: string, detail?: unknown) => {
      // One raise per (group run, kind) per batch: the first task tells the story.
      if (!drafts.has(`${kind}:${task.groupRunId}`))
        drafts.set(`${kind}:${task.groupRunId}`, { kind, task, message, detail });
    };
    for (const { event, task } of moved) {
      if (event.toStatus === 'FAILED' && event.fromStatus !== 'FAILED') {
        add(
          'FAILED',
          task,
          `Task ${task.file.name} failed: ${task.lastError?.code ?? 'FAILED'}: ${task.lastError?.message ?? ''}`,
          { error: task.lastError, attempts: task.attempt },
        );
      }
      if (event.reason === TaskEventReason.RECONCILIATION_MISMATCH) {
        add('RECONCILIATION_MISMATCH', task, `Task ${task.file.name}: ${(task.reconProblems ?? []).join('; ')}`, {
          problems: task.reconProblems,
          reconciliation: task.reconciliation,
        });
      }
      // A deadline with action FAIL fails the task at once: it is overdue all the same.
      if (event.reason === TaskEventReason.OVERDUE || event.reason === TaskEventReason.DEADLINE_PASSED) {
        add('OVERDUE', task, `Not finished by its deadline ${new Date(task.deadlineAt ?? 0).toISOString()}`, {
          deadlineAt: task.deadlineAt,
        });
      }
    }
    if (drafts.size) this.track(this.raiseForTasks([...drafts.values()]), 'raising alerts failed');
  }

  /**
   * Group status changes arrive one by one from each recount (many groups at once): those of one
   * tick are handled together, a statement for all of them rather than two per group.
   */
  onGroupStatus(change: GroupStatusChange): void {
    this.changes.push(change);
    if (this.changes.length === 1) queueMicrotask(() => this.takeChanges());
  }

  private takeChanges(): void {
    const changes = this.changes.splice(0);
    if (changes.length) this.track(this.groupStatuses(changes), `alerts for ${changes.length} group run(s) failed`);
  }

  /**
   * The alert for a trigger that matched no definition, written in the trigger's own transaction: one
   * per (source, event) while it is open (a flood of such messages is one alert counting occurrences,
   * about the first of them); once acknowledged, the next such message raises a new one.
   */
  unmatchedIn(em: EntityManager, triggerId: string, msg: TriggerMessage): Promise<boolean> {
    return this.alerts.raiseIn(em, {
      kind: 'UNMATCHED_TRIGGER',
      dedupKey: unmatchedKey(msg.source, msg.event),
      renewWhenClosed: true,
      triggerId,
      message: `No definition is bound to source "${msg.source}" and event "${msg.event}" (message ${msg.messageId})`,
      detail: {
        source: msg.source,
        event: msg.event,
        messageId: msg.messageId,
        businessDate: msg.businessDate ?? null,
      },
    });
  }

  /**
   * The UNMATCHED_TRIGGER alert of (source, event), resolved in the caller's transaction (a replay that
   * matched) when `noneLeft` finds no other trigger of it still waiting; see AlertsService.resolveIn.
   */
  resolveUnmatchedIn(em: EntityManager, source: string, event: string, noneLeft: () => Promise<boolean>) {
    return this.alerts.resolveIn(em, unmatchedKey(source, event), noneLeft);
  }

  /** Waits for the alerts being raised (a stopping scheduler, before its database closes). */
  async settle(): Promise<void> {
    this.takeChanges();
    while (this.inFlight.size) await Promise.all(this.inFlight);
  }

  private track(work: Promise<void>, failure: string): void {
    const p = work
      .catch((err) => this.logger.warn(`${failure}: ${(err as Error).message}`))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async raiseForTasks(
    drafts: Array<{ kind: AlertDraft['kind']; task: TaskRow; message: string; detail?: unknown }>,
  ): Promise<void> {
    const infos = await this.groups.info(undefined, [...new Set(drafts.map((d) => d.task.groupRunId))]);
    for (const d of drafts) {
      const spec = infos.get(d.task.groupRunId)?.spec;
      await this.alerts.raise({
        kind: d.kind,
        groupRunId: d.task.groupRunId,
        taskRunId: d.task.id,
        definitionId: spec?.definitionId,
        definitionName: spec?.name,
        message: d.message,
        detail: d.detail,
        settings: spec?.alerts,
      });
    }
  }

  /** Each step and each run on its own: one failure (logged) does not cost the other runs of the batch their alerts. */
  private async groupStatuses(changes: Array<{ id: string; status: string }>): Promise<void> {
    const failed = changes.filter((c) => c.status === 'FAILED').map((c) => c.id);
    const succeeded = changes.filter((c) => c.status === 'SUCCEEDED').map((c) => c.id);
    await this.attempt('resolving the alerts of runs that succeeded', () => this.alerts.resolveRuns(succeeded));
    // The task that explains each: a run's first failed task; on success, only a mismatched one makes an alert.
    const explained: Array<{ kind: 'FAILED' | 'RECONCILIATION_MISMATCH'; task: TaskRow }> = [];
    for (const id of failed) {
      await this.attempt(`reading the failed task of group run ${id}`, async () => {
        const task = (await this.db.run((em) =>
          em
            .getRepository(TaskRunEntity)
            .createQueryBuilder('t')
            .where('t.groupRunId = :id AND t.status = :s', { id, s: 'FAILED' })
            .orderBy('t.seq')
            .take(1)
            .getOne(),
        )) as unknown as TaskRow | null;
        if (task) explained.push({ kind: 'FAILED', task });
      });
    }
    if (succeeded.length) {
      // Mismatches are rare: one aggregate over the runs that succeeded finds each one's first mismatched
      // task, and only a run that has one costs a second read. (A correlated MIN per row, as before, was
      // costed per row of every run: at 100 files a run PostgreSQL put it near 350,000 and compiled it with
      // its JIT, about a second a time.)
      await this.attempt('reading mismatched tasks', async () => {
        const first = await this.db.run(async (em) => {
          const firsts: Array<{ g: string; s: number | string }> = await em
            .getRepository(TaskRunEntity)
            .createQueryBuilder('t')
            .select('t.groupRunId', 'g')
            .addSelect('MIN(t.seq)', 's')
            .where('t.groupRunId IN (:...succeeded) AND t.reconStatus = :m', { succeeded, m: 'MISMATCH' })
            .groupBy('t.groupRunId')
            .getRawMany();
          if (!firsts.length) return [];
          const tasks = em.getRepository(TaskRunEntity).createQueryBuilder('t');
          firsts.forEach((f, i) =>
            tasks.orWhere(`(t.groupRunId = :g${i} AND t.seq = :s${i})`, { [`g${i}`]: f.g, [`s${i}`]: Number(f.s) }),
          );
          return (await tasks.getMany()) as unknown as TaskRow[];
        });
        for (const task of first) explained.push({ kind: 'RECONCILIATION_MISMATCH', task });
      });
    }
    if (!explained.length) return;
    let infos = new Map<string, GroupInfo>();
    await this.attempt('reading group specs', async () => {
      infos = await this.groups.info(undefined, [...new Set(explained.map((e) => e.task.groupRunId))]);
    });
    for (const { kind, task } of explained) {
      const spec = infos.get(task.groupRunId)?.spec;
      const message =
        kind === 'FAILED'
          ? `Task ${task.file.name} failed: ${task.lastError?.code ?? 'FAILED'}: ${task.lastError?.message ?? ''}`
          : `Task ${task.file.name}: ${(task.reconProblems ?? []).join('; ')}`;
      await this.attempt(`raising ${kind} for group run ${task.groupRunId}`, () =>
        this.alerts.raise({
          kind,
          groupRunId: task.groupRunId,
          taskRunId: task.id,
          definitionId: spec?.definitionId,
          definitionName: spec?.name,
          message,
          settings: spec?.alerts,
          onlyIfAbsent: true,
        }),
      );
    }
  }

  private async attempt(what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.logger.warn(`${what} failed: ${(err as Error).message}`);
    }
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import type { Effects, TaskLifecycleListener } from '../tasks/task-listeners.js';
import { GROUP_STATUS_LISTENERS, type GroupStatusChange, type GroupStatusListener } from './group-listeners.js';
import { GROUP_STORE, type GroupStore } from './group-store.js';

/**
 * Recomputes groups' counts and status from their tasks after the task moves committed, so the hot
 * group row is never locked inside the task transactions. Moves gather for `groupRecountDelayMs`;
 * one pass then covers every group they touched, many groups per transaction (a busy instance
 * recounts each group a few times a second at most). The group row lock serialises recounts of one
 * group across instances, so the last one always sees the final state.
 */
@Injectable()
export class GroupRecounter implements TaskLifecycleListener {
  private readonly dirty = new Set<string>();
  private refreshing?: Promise<void>;
  private readonly delayMs: number;
  private readonly batch: number;

  constructor(
    @Inject(GROUP_STORE) private readonly store: GroupStore,
    @Inject(GROUP_STATUS_LISTENERS) private readonly listeners: GroupStatusListener[],
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'tuning'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {
    this.delayMs = config.tuning.groupRecountDelayMs;
    this.batch = config.tuning.groupRecountBatch;
  }

  afterCommit(e: Effects): void {
    this.refreshLater(e.groups);
  }

  refreshLater(ids: string[]): void {
    for (const id of ids) this.dirty.add(id);
    if (!this.refreshing && this.dirty.size) {
      this.refreshing = new Promise((resolve) =>
        setTimeout(() => void this.drainRefreshes().then(resolve), this.delayMs),
      );
    }
  }

  /** Waits for the recounts already asked for (a stopping scheduler, before its database closes). */
  async settle(): Promise<void> {
    while (this.refreshing) await this.refreshing;
  }

  async refresh(id: string): Promise<GroupStatusChange | undefined> {
    return (await this.refreshMany([id]))[0];
  }

  /** Recounts the groups and writes what moved; every status change is announced once committed. */
  async refreshMany(ids: string[]): Promise<GroupStatusChange[]> {
    const changes = await this.store.recount(ids, this.clock());
    for (const change of changes) for (const l of this.listeners) l.onGroupStatus(change);
    return changes;
  }

  private async drainRefreshes(): Promise<void> {
    while (this.dirty.size) {
      const ids = [...this.dirty].sort().slice(0, this.batch);
      for (const id of ids) this.dirty.delete(id);
      // A failure is left for the reconciler, which refreshes every RUNNING group whose tasks are all done.
      await this.refreshMany(ids).catch(() => undefined);
      // Moves that came meanwhile gather a while longer, unless this pass left a backlog to work off.
      if (this.dirty.size > 0 && this.dirty.size < this.batch) await new Promise((r) => setTimeout(r, this.delayMs));
    }
    this.refreshing = undefined;
  }
}

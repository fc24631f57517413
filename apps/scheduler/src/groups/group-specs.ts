import { Inject, Injectable } from '@nestjs/common';
import { SCHEDULER_CONFIG } from '../core/tokens.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import type { Tx } from '../storage/tx.js';
import { GROUP_STORE, type GroupInfo, type GroupStore } from './group-store.js';

/**
 * Group run specs through a bounded cache (a spec never changes once its run is created), and each
 * definition's paused flag, trusted for `pausedFlagMs`: the hot paths read neither per task.
 */
@Injectable()
export class GroupSpecs {
  private readonly specs = new Map<string, GroupInfo>();
  private readonly enabled = new Map<string, { enabled: boolean; at: number }>();
  private readonly limit: number;
  private readonly pausedFlagMs: number;

  constructor(
    @Inject(GROUP_STORE) private readonly store: GroupStore,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'tuning'>,
  ) {
    this.limit = config.tuning.groupSpecCacheRuns;
    this.pausedFlagMs = config.tuning.pausedFlagMs;
  }

  /** Keeps a group's spec; a group run created here needs no read when first dispatched. */
  remember(info: GroupInfo): void {
    if (this.specs.size >= this.limit && !this.specs.has(info.id)) this.specs.delete(this.specs.keys().next().value!);
    this.specs.set(info.id, info);
  }

  async info(tx: Tx | undefined, ids: string[]): Promise<Map<string, GroupInfo>> {
    // Hits are taken before the read: a busy instance may evict them meanwhile.
    const found = new Map<string, GroupInfo>();
    for (const id of ids) {
      const hit = this.specs.get(id);
      if (hit) found.set(id, hit);
    }
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) {
      for (const info of await this.store.info(tx, missing)) {
        this.remember(info);
        found.set(info.id, info);
      }
    }
    return found;
  }

  async spec(groupRunId: string): Promise<GroupInfo['spec'] | undefined> {
    return (await this.info(undefined, [groupRunId])).get(groupRunId)?.spec;
  }

  /** Whether the definition is paused, as read at most `pausedFlagMs` ago. */
  async isPaused(tx: Tx | undefined, definitionId: string, now: number): Promise<boolean> {
    const hit = this.enabled.get(definitionId);
    if (hit && now - hit.at < this.pausedFlagMs) return !hit.enabled;
    const enabled = await this.store.isEnabled(tx, definitionId);
    this.enabled.set(definitionId, { enabled, at: now });
    return !enabled;
  }
}

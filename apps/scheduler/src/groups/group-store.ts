import type { EntityManager } from 'typeorm';
import type { Db } from '#ferry/persistence';
import { DefinitionEntity, GroupRunEntity } from '../persistence/index.js';
import { COUNTER_BY_STATUS, type GroupCounters, type GroupSpec, groupStatusOf } from './group-status.js';

export interface GroupInfo {
  id: string;
  runMode: 'SYNC' | 'ASYNC';
  spec: GroupSpec;
}

/**
 * Group runs: their immutable spec (cached: it never changes after creation) and their task
 * counters, moved in the same transaction as the task moves that change them.
 */
export class GroupStore {
  private readonly specs = new Map<string, GroupInfo>();
  private readonly enabled = new Map<string, { enabled: boolean; at: number }>();

  constructor(private readonly db: Db) {}

  async info(em: EntityManager | undefined, ids: string[]): Promise<Map<string, GroupInfo>> {
    const missing = ids.filter((id) => !this.specs.has(id));
    if (missing.length) {
      const rows = await (em ?? this.db.dataSource.manager).getRepository(GroupRunEntity).createQueryBuilder('g').select(['g.id', 'g.runMode', 'g.spec']).where('g.id IN (:...missing)', { missing }).getMany();
      for (const r of rows) {
        if (this.specs.size > 20000) this.specs.delete(this.specs.keys().next().value!);
        this.specs.set(r.id, { id: r.id, runMode: r.runMode as 'SYNC' | 'ASYNC', spec: r.spec as GroupSpec });
      }
    }
    return new Map(ids.filter((id) => this.specs.has(id)).map((id) => [id, this.specs.get(id)!]));
  }

  /** Whether the definition is paused; cached for a second so hot paths don't read it per task. */
  async isPaused(em: EntityManager, definitionId: string, now: number): Promise<boolean> {
    const hit = this.enabled.get(definitionId);
    if (hit && now - hit.at < 1000) return !hit.enabled;
    const row = await em.getRepository(DefinitionEntity).findOne({ where: { id: definitionId }, select: { id: true, enabled: true } });
    const enabled = row ? row.enabled === 1 : true;
    this.enabled.set(definitionId, { enabled, at: now });
    return !enabled;
  }

  forgetPause(definitionId: string): void {
    this.enabled.delete(definitionId);
  }

  /** Applies counter deltas and recomputes the status; answers the groups whose status changed. */
  async applyDeltas(em: EntityManager, deltas: Map<string, Partial<GroupCounters>>, now: number): Promise<Array<{ id: string; status: string }>> {
    const changed: Array<{ id: string; status: string }> = [];
    for (const id of [...deltas.keys()].sort()) {
      const d = deltas.get(id)!;
      const sets: Record<string, () => string> = { version: () => 'version + 1', updatedAt: () => String(now) };
      for (const key of ['tasksSucceeded', 'tasksFailed', 'tasksCancelled', 'tasksSkipped'] as const) {
        const n = d[key] ?? 0;
        if (n !== 0) sets[key] = () => `${columnOf(key)} + (${n})`;
      }
      const repo = em.getRepository(GroupRunEntity);
      await repo.createQueryBuilder().update(GroupRunEntity).set(sets).where('id = :id', { id }).execute();
      const g = await repo.findOneByOrFail({ id });
      const status = groupStatusOf(g);
      if (status !== g.status) {
        await repo.update({ id }, { status, finishedAt: status === 'RUNNING' ? null : now, updatedAt: now });
        changed.push({ id, status });
      }
    }
    return changed;
  }
}

export function addDelta(deltas: Map<string, Partial<GroupCounters>>, groupId: string, from: string, to: string): void {
  const fromKey = COUNTER_BY_STATUS[from];
  const toKey = COUNTER_BY_STATUS[to];
  if (fromKey === toKey) return;
  const d = deltas.get(groupId) ?? {};
  if (fromKey) d[fromKey] = (d[fromKey] ?? 0) - 1;
  if (toKey) d[toKey] = (d[toKey] ?? 0) + 1;
  deltas.set(groupId, d);
}

function columnOf(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

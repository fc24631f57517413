import { type EntityManager, In } from 'typeorm';
import { DependencyWaitEntity, GroupRunEntity, TaskEventEntity, TriggerEntity } from '../../persistence/index.js';
import { withIds } from '../../tasks/task-status.js';
import type { TaskStore } from '../../tasks/task-store.js';
import type { TriggerRows, TriggerWriter } from '../../triggers/trigger-writer.js';

/**
 * SQLite and Oracle: no single-statement write; the intake's transaction writes a message's trigger, and many
 * triggers are written after one read of those already stored (a copy committed in between fails the caller's
 * transaction on the unique key).
 */
export class OrmTriggerWriter implements TriggerWriter {
  constructor(private readonly tasks: Pick<TaskStore, 'insertTasks'>) {}

  async insertAtOnce(): Promise<undefined> {
    return undefined;
  }

  async insertNew(em: EntityManager, rows: TriggerRows): Promise<Set<string>> {
    const stored = new Set<string>();
    for (const source of new Set(rows.triggers.map((t) => t.source))) {
      const ids = rows.triggers.filter((t) => t.source === source).map((t) => t.messageId);
      const found = await em
        .getRepository(TriggerEntity)
        .find({ select: { messageId: true }, where: { source: source!, messageId: In(ids) } });
      for (const r of found) stored.add(`${source}\u0000${r.messageId}`);
    }
    const triggers = rows.triggers.filter((t) => !stored.has(`${t.source}\u0000${t.messageId}`));
    const written = new Set(triggers.map((t) => t.id));
    const groups = rows.groups.filter((g) => written.has(g.triggerId!));
    const runs = new Set(groups.map((g) => g.id));
    const waits = rows.waits.filter((w) => written.has(w.triggerId));
    if (triggers.length) await em.insert(TriggerEntity, triggers as object[]);
    if (groups.length) await em.insert(GroupRunEntity, groups as object[]);
    if (waits.length) await em.insert(DependencyWaitEntity, waits);
    const tasks = rows.tasks.filter((t) => runs.has(t.groupRunId));
    if (tasks.length) await this.tasks.insertTasks(em, tasks);
    const ids = new Set(tasks.map((t) => t.id));
    const events = (rows.events ?? []).filter((e) => ids.has(e.taskRunId));
    if (events.length) await em.insert(TaskEventEntity, withIds(events) as object[]);
    return written;
  }
}

import { Inject, Injectable, Optional } from '@nestjs/common';
import { ApiError } from '#ferry/errors';
import { timeOrderedId } from '#ferry/persistence';
import type { EntityManager } from 'typeorm';
import { DEFINITION_DEFAULTS, type DefinitionSpec, type FileRef, type TriggerMessage } from '#ferry/contracts';
import { deadlineAt } from '../definitions/deadline.js';
import { type DefinitionEntity, GroupRunEntity, TaskEventEntity } from '../persistence/index.js';
import { SCHEDULER_CONFIG } from '../core/tokens.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { newTaskRow, type TaskRow } from '../tasks/task-row.js';
import { type TaskEventDraft, withIds } from '../tasks/task-status.js';
import { TASK_STORE, type TaskStore } from '../tasks/task-store.js';
import type { GroupSpec } from './group-status.js';

export interface StartOrder {
  groups: string[];
  tasks: string[];
}

export interface GroupRunPlan {
  group: GroupRunEntity;
  tasks: TaskRow[];
  /**
   * Moves decided before the rows are written, written with them: the first claims of a run that the instance
   * writing it starts at once (DirectStart.claim), so that those claims cost no statement of their own.
   */
  events?: TaskEventDraft[];
}

/**
 * Builds a group run and its task runs (one per file, or one for a trigger without files). Their ids
 * are time-ordered UUIDs (v7): inserts land at the right edge of the primary keys' indexes.
 */
@Injectable()
export class GroupRunFactory {
  private readonly maxTasks: number;

  constructor(
    @Inject(TASK_STORE) private readonly tasks: Pick<TaskStore, 'insertTasks'>,
    @Optional() @Inject(SCHEDULER_CONFIG) config?: Pick<SchedulerConfig, 'bounds'>,
  ) {
    this.maxTasks = config?.bounds.maxTasksPerGroup ?? Number.MAX_SAFE_INTEGER;
  }

  /** Refuses (422) a run that would have more task runs than the configuration allows; nothing is written yet. */
  private checkSize(files: number): void {
    if (files > this.maxTasks)
      throw ApiError.validation(
        [{ path: 'files', problem: `must not have more than ${this.maxTasks} items (task runs per group run)` }],
        `Too many files: a group run may have at most ${this.maxTasks} task runs`,
      );
  }

  plan(
    definition: DefinitionEntity,
    msg: Pick<TriggerMessage, 'files' | 'businessDate' | 'attributes'>,
    triggerId: string | null,
    now: number,
  ): GroupRunPlan {
    const spec: GroupSpec = {
      ...withDefaults(definition.spec as DefinitionSpec),
      definitionId: definition.id,
      businessDate: msg.businessDate,
      attributes: msg.attributes,
    };
    const files: FileRef[] = msg.files?.length ? msg.files : [{ name: definition.name }];
    this.checkSize(files.length);
    const deadline = deadlineAt(spec.deadline, now, msg.businessDate);
    const group = Object.assign(new GroupRunEntity(), {
      id: timeOrderedId(),
      triggerId,
      definitionId: definition.id,
      definitionName: definition.name,
      runMode: spec.mode,
      status: 'RUNNING',
      businessDate: msg.businessDate ?? null,
      spec,
      tasksTotal: files.length,
      tasksSucceeded: 0,
      tasksFailed: 0,
      tasksCancelled: 0,
      tasksSkipped: 0,
      deadlineAt: deadline,
      overdue: 0,
      version: 1,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    });
    const tasks = files.map((file, seq) =>
      newTaskRow({
        id: timeOrderedId(),
        groupRunId: group.id,
        seq,
        file,
        maxAttempts: spec.retry.maxAttempts,
        // ASYNC: every task is ready at once; SYNC: only the first, the next when its predecessor succeeds.
        readyAt: spec.mode === 'ASYNC' || seq === 0 ? now : null,
        deadlineAt: deadline,
        createdAt: now,
        updatedAt: now,
      }),
    );
    return { group, tasks };
  }

  /** Writes the plan; answers what to queue once it commits. */
  async persist(em: EntityManager, plan: GroupRunPlan): Promise<StartOrder> {
    await em.insert(GroupRunEntity, plan.group as object);
    await this.tasks.insertTasks(em, plan.tasks);
    if (plan.events?.length) await em.insert(TaskEventEntity, withIds(plan.events) as object[]);
    return startOrder([plan]);
  }
}

/** What to queue once the plans are written. */
export function startOrder(plans: GroupRunPlan[]): StartOrder {
  const order: StartOrder = { groups: [], tasks: [] };
  for (const { group, tasks } of plans) {
    // An ASYNC group is dispatched by one job (bounded concurrency, batched writes), not a job per task.
    if (group.runMode === 'ASYNC') order.groups.push(group.id);
    else for (const t of tasks) if (t.readyAt !== null) order.tasks.push(t.id);
  }
  return order;
}

export function withDefaults(spec: DefinitionSpec): DefinitionSpec {
  return {
    ...spec,
    pollIntervalSeconds: spec.pollIntervalSeconds ?? DEFINITION_DEFAULTS.pollIntervalSeconds,
    retry: { ...DEFINITION_DEFAULTS.retry, ...spec.retry },
    attemptTimeoutSeconds: spec.attemptTimeoutSeconds ?? DEFINITION_DEFAULTS.attemptTimeoutSeconds,
    enabled: spec.enabled ?? true,
  };
}

import type { Db } from '#ferry/persistence';
import { DEFAULT_TUNING, type Tuning } from '../../../apps/scheduler/src/index.js';
import type { GroupStatusListener } from '../../../apps/scheduler/src/groups/group-listeners.js';
import { CreatedRuns } from '../../../apps/scheduler/src/groups/created-runs.js';
import { GroupRecounter } from '../../../apps/scheduler/src/groups/group-recounter.js';
import { GroupRunFactory } from '../../../apps/scheduler/src/groups/group-run.factory.js';
import { GroupSpecs } from '../../../apps/scheduler/src/groups/group-specs.js';
import { adaptersFor } from '../../../apps/scheduler/src/storage/adapters.js';
import { TaskEngine } from '../../../apps/scheduler/src/tasks/task-engine.js';
import type { TaskLifecycleListener } from '../../../apps/scheduler/src/tasks/task-listeners.js';
import type { TaskStore } from '../../../apps/scheduler/src/tasks/task-store.js';

export interface SchedulerParts {
  engine: TaskEngine;
  groups: GroupSpecs;
  recounter: GroupRecounter;
  factory: GroupRunFactory;
  created: CreatedRuns;
  /** The task store as the engine has it (behind its cache). */
  tasks: TaskStore;
}

/**
 * The scheduler's core parts on one database, wired by hand the way its modules wire them: for
 * integration tests of the engine and the stores without HTTP or queues. The recounter hears every
 * committed batch (as in the app), then `listeners`.
 */
export function schedulerParts(
  db: Db,
  opts: {
    lanes?: number;
    /** The engine's clock (a clock ahead sees every dispatch as long unanswered, and re-sends it at once). */
    clock?: () => number;
    tuning?: Partial<Tuning>;
    listeners?: TaskLifecycleListener[];
    groupListeners?: GroupStatusListener[];
  } = {},
): SchedulerParts {
  const config = {
    lanes: opts.lanes ?? 2,
    dispatchTimeoutMs: 10_000,
    acceptLingerMs: 0,
    tuning: { ...DEFAULT_TUNING, ...opts.tuning },
  };
  const stores = adaptersFor(db, config.tuning);
  const groups = new GroupSpecs(stores.groups, config);
  const recounter = new GroupRecounter(stores.groups, opts.groupListeners ?? [], config);
  const engine = new TaskEngine(stores.tasks, groups, [recounter, ...(opts.listeners ?? [])], config, opts.clock);
  const created = new CreatedRuns(groups, stores.tasks, config);
  return { engine, groups, recounter, factory: new GroupRunFactory(stores.tasks), created, tasks: stores.tasks };
}

import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { AlertRaiser } from './alerts/alert-raiser.js';
import { DependencyResolver } from './dependencies/dependency-resolver.js';
import { DirectStart } from './dispatch/direct-start.js';
import { GroupRecounter } from './groups/group-recounter.js';
import { TaskEngine } from './tasks/task-engine.js';

/**
 * How an instance stops, in three of Nest's steps: first every part stops taking work (processors,
 * the reconciler, the overdue sweep, alert delivery: their OnModuleDestroy); then, here, what the last
 * commits set off is written in order (the direct dispatches under way, deferred moves, then the group recounts they cause, then the
 * dependants and alerts those cause); the HTTP server closes; last the connections close (OnApplicationShutdown).
 */
@Injectable()
export class SchedulerLifecycle implements BeforeApplicationShutdown {
  constructor(
    @Inject(DirectStart) private readonly direct: Pick<DirectStart, 'settle'>,
    @Inject(TaskEngine) private readonly engine: Pick<TaskEngine, 'flush'>,
    @Inject(GroupRecounter) private readonly recounter: Pick<GroupRecounter, 'settle'>,
    @Inject(AlertRaiser) private readonly raiser: Pick<AlertRaiser, 'settle'>,
    @Inject(DependencyResolver) private readonly dependants: Pick<DependencyResolver, 'settle'>,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    await this.direct.settle();
    await this.engine.flush();
    await this.recounter.settle();
    await this.dependants.settle();
    await this.raiser.settle();
  }
}

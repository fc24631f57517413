import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { EgressGuard } from '#ferry/egress';
import { SCHEDULER_CONFIG, SCHEDULER_OVERRIDES, type RuntimeOverrides } from '../core/tokens.js';
import { GroupsModule } from '../groups/groups.module.js';
import { SchedulerObservability } from '../observability/scheduler-observability.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { DirectStart } from './direct-start.js';
import { DownstreamCancels } from './downstream-cancels.js';
import { DOWNSTREAM, type DownstreamPort, HttpDownstream } from './downstream.client.js';
import { OutboundTokens } from './outbound-tokens.js';
import { TargetGuard } from './target-guard.js';
import { TargetPermits } from './target-permits.js';
import { TargetsController } from './targets.controller.js';
import { TaskRounds } from './task-rounds.js';

/** Closes the downstream connections once the rounds have stopped. */
@Injectable()
class DownstreamConnections implements OnApplicationShutdown {
  constructor(@Inject(DOWNSTREAM) private readonly downstream: DownstreamPort) {}

  onApplicationShutdown(): Promise<void> {
    return this.downstream.close();
  }
}

/** Task rounds: sending sync requests, polling, timeouts, and each target's breaker, cap and rate limit. */
@Module({
  imports: [TasksModule, GroupsModule],
  controllers: [TargetsController],
  providers: [
    {
      provide: DOWNSTREAM,
      useFactory: (config: SchedulerConfig, overrides: RuntimeOverrides, o: SchedulerObservability) =>
        o.downstream(
          overrides.downstream ??
            new HttpDownstream(
              config.dispatchTimeoutMs,
              new EgressGuard(config.egress),
              config.tuning.downstreamConnections,
              config.bounds.maxResponseBytes,
            ),
        ),
      inject: [SCHEDULER_CONFIG, SCHEDULER_OVERRIDES, SchedulerObservability],
    },
    DownstreamConnections,
    DownstreamCancels,
    OutboundTokens,
    TargetGuard,
    TargetPermits,
    TaskRounds,
    DirectStart,
  ],
  exports: [TaskRounds, TargetPermits, TargetGuard, DownstreamCancels, DirectStart],
})
export class DispatchModule {}

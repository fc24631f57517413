import { Inject, Injectable } from '@nestjs/common';
import { GroupSpecs } from '../groups/group-specs.js';
import type { Effects, TaskLifecycleListener } from '../tasks/task-listeners.js';
import { isInFlight } from '../tasks/task-status.js';
import { TargetGuard } from './target-guard.js';

/** An attempt that left DISPATCHED … RUNNING gives its target's concurrency permit back. */
@Injectable()
export class TargetPermits implements TaskLifecycleListener {
  constructor(
    @Inject(TargetGuard) private readonly targets: Pick<TargetGuard, 'capped' | 'release'>,
    @Inject(GroupSpecs) private readonly groups: Pick<GroupSpecs, 'info'>,
  ) {}

  afterCommit({ moved }: Effects): void {
    const done = moved
      .filter(({ event, task }) => task.targetUrl && isInFlight(event.fromStatus) && !isInFlight(event.toStatus))
      .map(({ task }) => task);
    if (!done.length) return;
    void (async () => {
      const infos = await this.groups.info(undefined, [...new Set(done.map((t) => t.groupRunId))]);
      await this.targets.release(
        done
          .filter((t) => this.targets.capped(infos.get(t.groupRunId)?.spec))
          .map((t) => ({ url: t.targetUrl!, holder: t.id })),
      );
    })().catch(() => undefined); // a permit not given back expires with its lease
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { GroupSpecs } from '../groups/group-specs.js';
import type { TaskRow } from '../tasks/task-status.js';
import { DOWNSTREAM, type DownstreamPort } from './downstream.client.js';
import { OutboundTokens } from './outbound-tokens.js';

/** What a cancel asks of a downstream: the job a cancelled task had started there. */
export type StartedJob = Pick<TaskRow, 'id' | 'targetUrl' | 'downstreamJobId'>;

/**
 * Asks the downstreams to cancel the jobs of tasks an operator cancelled. Best effort: the tasks are
 * CANCELLED already, whatever the downstream answers (a job that finishes anyway reports to a cancelled
 * task, which ignores it); each request is logged, and one that cannot be signed is logged and skipped.
 */
@Injectable()
export class DownstreamCancels {
  private readonly logger = new Logger('DownstreamCancels');

  constructor(
    @Inject(DOWNSTREAM) private readonly downstream: Pick<DownstreamPort, 'cancel'>,
    @Inject(OutboundTokens) private readonly tokens: Pick<OutboundTokens, 'tokenFor'>,
    @Inject(GroupSpecs) private readonly groups: Pick<GroupSpecs, 'spec'>,
  ) {}

  async cancelJobs(groupRunId: string, tasks: StartedJob[]): Promise<void> {
    const started = tasks.filter((t) => t.targetUrl && t.downstreamJobId);
    if (!started.length) return;
    const spec = await this.groups.spec(groupRunId).catch(() => undefined);
    await Promise.all(
      started.map(async (t) => {
        const [url, job] = [t.targetUrl!, t.downstreamJobId!];
        try {
          const token = await this.tokens.tokenFor(spec?.target.authProfile, url);
          await this.downstream.cancel(url, job, token);
          this.logger.log(`Asked ${url} to cancel job ${job} (task run ${t.id}, group run ${groupRunId})`);
        } catch (err) {
          this.logger.warn(`Could not ask ${url} to cancel job ${job} (task run ${t.id}): ${(err as Error).message}`);
        }
      }),
    );
  }
}

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Db } from '#ferry/persistence';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import { Periodic } from '../maintenance/periodic.js';
import { OperatorSessionEntity } from '../persistence/index.js';
import type { SchedulerConfig } from '../scheduler.config.js';

/** How often ended sessions are deleted, and how many per transaction. */
const SWEEP_MS = 10 * 60_000;
const BATCH = 500;

/**
 * Deletes the portal sessions that have ended (idle too long, or past their lifetime) whose cookie never
 * came back: a login that is never used again would otherwise stay in `operator_session` for good. Runs on
 * instances that take work, in bounded batches.
 */
@Injectable()
export class SessionSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PortalSessions');
  private readonly periodic = new Periodic('session sweep', () => this.sweep(), this.logger);

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(SCHEDULER_CONFIG) private readonly config: Pick<SchedulerConfig, 'portal' | 'runWorkers'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.runWorkers) this.periodic.start(SWEEP_MS);
  }

  onModuleDestroy(): Promise<void> {
    return this.periodic.stop();
  }

  /** Deletes every ended session; answers how many. */
  async sweep(): Promise<number> {
    const now = this.clock();
    const idleSince = now - this.config.portal.sessionIdleMs;
    let deleted = 0;
    for (;;) {
      const ids = await this.db.tx(async (em) => {
        const ended = await em
          .getRepository(OperatorSessionEntity)
          .createQueryBuilder('s')
          .select('s.id', 'id')
          .where('s.expiresAt <= :now OR s.lastSeenAt <= :idleSince', { now, idleSince })
          .limit(BATCH)
          .getRawMany<{ id: string }>();
        if (ended.length)
          await em.delete(
            OperatorSessionEntity,
            ended.map((r) => r.id),
          );
        return ended.length;
      });
      deleted += ids;
      if (ids < BATCH) break;
    }
    if (deleted) this.logger.log(`Deleted ${deleted} ended portal sessions`);
    return deleted;
  }
}

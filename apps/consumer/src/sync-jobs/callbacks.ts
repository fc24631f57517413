import type { EntityManager } from 'typeorm';
import { TokenCache } from '#ferry/auth';
import {
  Audience,
  type Progress,
  type Reconciliation,
  type ReportedError,
  type ReportStatus,
  Scope,
} from '#ferry/contracts';
import { OutboxPump, OutboxStore, type PumpOptions } from '#ferry/outbox';
import type { Db } from '#ferry/persistence';
import type { ConsumerConfig } from '../config.js';
import type { JobRow } from './job-store.js';

/**
 * Reports to the scheduler go through the outbox, written in the same transaction as the state
 * they report: a scheduler that is down delays them, never loses them, and never reorders them.
 */
export class Callbacks {
  readonly store: OutboxStore;
  readonly pump: OutboxPump;

  constructor(
    db: Db,
    config: Pick<ConsumerConfig, 'signing' | 'outboxPollMs'>,
    pumpOptions: Pick<PumpOptions, 'headers'> = {},
  ) {
    this.store = new OutboxStore(db, 'con_outbox');
    const tokens = new TokenCache();
    const { issuer, secret, ttlSeconds } = config.signing;
    const profile = {
      issuer,
      audience: Audience.scheduler,
      scopes: [Scope.callbacksWrite],
      ttlSeconds,
      key: { alg: 'HS256' as const, secret },
    };
    this.pump = new OutboxPump(this.store, {
      token: () => tokens.get('scheduler', profile),
      pollMs: config.outboxPollMs,
      ...pumpOptions,
    });
  }

  async report(
    em: EntityManager,
    job: Pick<JobRow, 'jobId' | 'dispatchId' | 'callbackUrl'>,
    status: ReportStatus,
    extra: { progress?: Progress; reconciliation?: Reconciliation; error?: ReportedError } = {},
  ): Promise<void> {
    const payload = {
      dispatchId: job.dispatchId,
      jobId: job.jobId,
      status,
      ...extra,
      reportedAt: new Date().toISOString(),
    };
    // Only the latest progress matters; older unsent RUNNING reports are dropped.
    await this.store.add(
      em,
      { key: `job:${job.jobId}`, kind: status, url: job.callbackUrl, payload },
      { coalesce: status === 'RUNNING' },
    );
  }
}

import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Agent } from 'undici';
import { TokenCache } from '#ferry/auth';
import {
  Audience,
  type CallbackDeliveryView,
  type Progress,
  type Reconciliation,
  type ReportedError,
  type ReportStatus,
  Scope,
} from '#ferry/contracts';
import { EgressGuard } from '#ferry/egress';
import { type OutboxListedRow, OutboxListing, type OutboxRow, OutboxPump, OutboxStore } from '#ferry/outbox';
import { Db } from '#ferry/persistence';
import { CONSUMER_CONFIG, type ConsumerConfig } from '../config.js';
import type { JobRow } from './job-store.js';

/** Hears each report as it is written, and may add headers to its delivery (e.g. the job's trace). */
export interface CallbacksListener {
  reported(jobId: string, status: ReportStatus, reconciliation: Reconciliation | undefined): void;
  headers(row: OutboxRow): Record<string, string> | undefined;
}

export const CALLBACKS_LISTENER = Symbol('CALLBACKS_LISTENER');

/**
 * Reports to the scheduler go through the outbox, written in the same transaction as the state
 * they report: a scheduler that is down delays them, never loses them, and never reorders them.
 * One still refused after `callbackMaxAttempts` is kept DEAD for an operator; the scheduler's poll
 * of the job tells it the same meanwhile.
 */
@Injectable()
export class Callbacks implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly store: OutboxStore;
  readonly pump: OutboxPump;
  private readonly agent: Agent;
  /** Reports not delivered, for operators (`/api/v1/callback-deliveries`). */
  readonly undelivered: OutboxListing<CallbackDeliveryView>;

  constructor(
    @Inject(Db) db: Db,
    @Inject(CONSUMER_CONFIG)
    config: Pick<ConsumerConfig, 'signing' | 'outboxPollMs' | 'egress' | 'callbackMaxAttempts'>,
    @Optional() @Inject(CALLBACKS_LISTENER) private readonly listener?: CallbacksListener,
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
    this.agent = new EgressGuard(config.egress).agent({ keepAliveTimeout: 30_000 });
    this.pump = new OutboxPump(this.store, {
      token: () => tokens.get('scheduler', profile),
      pollMs: config.outboxPollMs,
      dispatcher: this.agent,
      maxAttempts: config.callbackMaxAttempts,
      ...(listener ? { headers: (row: OutboxRow) => listener.headers(row) } : {}),
    });
    this.undelivered = new OutboxListing(this.store, {
      noun: 'Callback delivery',
      view: reportView,
      kick: () => this.pump.kick(),
    });
  }

  onApplicationBootstrap(): void {
    this.pump.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pump.stop();
    await this.agent.close();
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
    this.listener?.reported(job.jobId, status, extra.reconciliation);
  }
}

function reportView(row: OutboxListedRow) {
  const report = row.payload as { jobId: string; dispatchId: string; status: ReportStatus };
  return { jobId: report.jobId, dispatchId: report.dispatchId, reportStatus: report.status, callbackUrl: row.url };
}

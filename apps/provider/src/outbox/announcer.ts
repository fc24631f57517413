import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Agent } from 'undici';
import { TokenCache } from '#ferry/auth';
import { type AnnouncementView, Audience, type FileRef, Scope } from '#ferry/contracts';
import { EgressGuard } from '#ferry/egress';
import { type OutboxListedRow, OutboxListing, type OutboxRow, OutboxPump, OutboxStore } from '#ferry/outbox';
import { Db } from '#ferry/persistence';
import { PROVIDER_CONFIG, type ProviderConfig } from '../config.js';
import { type FileRow, triggerFor } from '../files/file-row.js';

export const TRIGGER_KIND = 'trigger';

/**
 * Announces published files to the scheduler through the outbox: the trigger row commits with the
 * file, and the pump retries until the scheduler takes it, so a scheduler that is down loses nothing.
 * After `announceMaxAttempts` it gives up: the row is DEAD, listed until an operator retries it.
 */
@Injectable()
export class Announcer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Announcer');
  readonly store: OutboxStore;
  readonly pump: OutboxPump;
  private readonly agent: Agent;
  /** Announcements not delivered, for operators (`/api/v1/announcements`). */
  readonly undelivered: OutboxListing<AnnouncementView>;

  constructor(
    @Inject(Db) db: Db,
    @Inject(PROVIDER_CONFIG)
    private readonly config: Pick<
      ProviderConfig,
      'schedulerUrl' | 'source' | 'signing' | 'outboxPollMs' | 'egress' | 'announceMaxAttempts'
    >,
  ) {
    this.store = new OutboxStore(db, 'prv_outbox');
    const tokens = new TokenCache();
    const { issuer, secret, ttlSeconds } = config.signing;
    const profile = {
      issuer,
      audience: Audience.scheduler,
      scopes: [Scope.triggersWrite],
      ttlSeconds,
      key: { alg: 'HS256' as const, secret },
    };
    this.agent = new EgressGuard(config.egress).agent({ keepAliveTimeout: 30_000 });
    this.pump = new OutboxPump(this.store, {
      token: () => tokens.get('scheduler', profile),
      pollMs: config.outboxPollMs,
      dispatcher: this.agent,
      maxAttempts: config.announceMaxAttempts,
      onDead: (row, error) => this.givenUp(row, error),
    });
    this.undelivered = new OutboxListing(this.store, {
      noun: 'Announcement',
      view: announcementView,
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

  /** Adds the trigger in the caller's transaction; call `pump.kick()` after it commits. */
  async announce(em: EntityManager, file: FileRow): Promise<boolean> {
    if (!this.config.schedulerUrl) return false;
    const url = `${this.config.schedulerUrl.replace(/\/$/, '')}/api/v1/triggers`;
    await this.store.add(em, {
      key: `file:${file.fileId}`,
      kind: TRIGGER_KIND,
      url,
      payload: triggerFor(file, this.config.source),
    });
    return true;
  }

  /** The scheduler will not hear of this file until an operator retries it: say which file, not what it holds. */
  private givenUp(row: OutboxRow, error: string): void {
    const { fileId, dataset } = announcementView(row);
    const retry = `/api/v1/announcements/${row.id}/retry`;
    this.logger.error(
      `announcement of file ${fileId} (dataset ${dataset}) given up, retry it at ${retry}: ${error.slice(0, 300)}`,
    );
  }
}

function announcementView(row: Pick<OutboxListedRow, 'payload' | 'url'>) {
  const trigger = row.payload as { messageId: string; files: FileRef[] };
  const file = trigger.files[0];
  return { messageId: trigger.messageId, dataset: file.dataset ?? '', fileId: file.fileId ?? '', url: row.url };
}

import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Agent } from 'undici';
import { TokenCache } from '#ferry/auth';
import { Audience, Scope } from '#ferry/contracts';
import { EgressGuard } from '#ferry/egress';
import { OutboxPump, OutboxStore } from '#ferry/outbox';
import { Db } from '#ferry/persistence';
import { PROVIDER_CONFIG, type ProviderConfig } from '../config.js';
import { type FileRow, triggerFor } from '../files/file-row.js';

export const TRIGGER_KIND = 'trigger';

/**
 * Announces published files to the scheduler through the outbox: the trigger row commits with the
 * file, and the pump retries until the scheduler takes it, so a scheduler that is down loses nothing.
 */
@Injectable()
export class Announcer implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly store: OutboxStore;
  readonly pump: OutboxPump;
  private readonly agent: Agent;

  constructor(
    @Inject(Db) db: Db,
    @Inject(PROVIDER_CONFIG)
    private readonly config: Pick<ProviderConfig, 'schedulerUrl' | 'source' | 'signing' | 'outboxPollMs' | 'egress'>,
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
}

import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { AlertNotification } from '#ferry/contracts';
import { OutboxPump, type OutboxRow, OutboxStore } from '#ferry/outbox';
import { SCHEDULER_CONFIG } from '../core/tokens.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { ALERT_CHANNEL_PORTS, type AlertChannelPorts } from './alert-channels.js';

/** Retries of a notification that could not be delivered: from half a second up to five minutes apart. */
const RETRY_BACKOFF = { initialMs: 500, factor: 2, maxMs: 5 * 60_000 };

/**
 * Delivers alert notifications from the outbox with retries and backoff (the shared OutboxPump),
 * each row through its channel. Rows are claimed first, so several instances never send one twice.
 */
@Injectable()
export class AlertDelivery implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly pump: OutboxPump;
  private readonly runWorkers: boolean;

  constructor(
    @Inject(OutboxStore) store: OutboxStore,
    @Inject(ALERT_CHANNEL_PORTS) private readonly ports: AlertChannelPorts,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'alerts' | 'runWorkers'>,
  ) {
    this.runWorkers = config.runWorkers;
    this.pump = new OutboxPump(store, {
      deliver: (row) => this.deliver(row),
      pollMs: config.alerts.deliveryPollMs,
      leaseMs: config.alerts.deliveryTimeoutMs * 3,
      backoff: RETRY_BACKOFF,
      maxAttempts: config.alerts.deliveryMaxAttempts,
    });
  }

  /** Delivers on instances that take work (not on API-only ones). */
  onApplicationBootstrap(): void {
    if (this.runWorkers) this.pump.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.stop();
  }

  /** Deliver now: an alert was just raised. */
  kick(): void {
    this.pump.kick();
  }

  async stop(): Promise<void> {
    await this.pump.stop();
    for (const port of Object.values(this.ports)) port?.close?.();
  }

  private async deliver(row: OutboxRow) {
    const port = this.ports[row.kind as keyof AlertChannelPorts];
    if (!port)
      return {
        ok: false as const,
        dead: true,
        error: `no ${row.kind} channel is configured (FERRY_SMTP_URL for e-mail)`,
      };
    return port.send(row, row.payload as AlertNotification);
  }
}

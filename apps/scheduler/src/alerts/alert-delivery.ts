import type { AlertNotification } from '#ferry/contracts';
import { OutboxPump, type OutboxRow, type OutboxStore } from '#ferry/outbox';
import type { AlertsConfig } from '../scheduler.config.js';
import type { AlertChannelPorts } from './alert-channels.js';

/**
 * Delivers alert notifications from the outbox with retries and backoff (the shared OutboxPump),
 * each row through its channel. Rows are claimed first, so several instances never send one twice.
 */
export class AlertDelivery {
  private readonly pump: OutboxPump;

  constructor(
    store: OutboxStore,
    private readonly ports: AlertChannelPorts,
    config: AlertsConfig,
  ) {
    this.pump = new OutboxPump(store, {
      deliver: (row) => this.deliver(row),
      pollMs: config.deliveryPollMs,
      leaseMs: config.deliveryTimeoutMs * 3,
      backoff: { initialMs: 500, factor: 2, maxMs: 5 * 60_000 },
    });
  }

  start(): void {
    this.pump.start();
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

import { Logger } from '@nestjs/common';
import pg from 'pg';

/** Backoff between attempts to reach the upstream's database again: doubling, capped. */
export const backoffMs = (failures: number): number => Math.min(250 * 2 ** Math.max(0, failures - 1), 10_000);

/**
 * `LISTEN <channel>` on a dedicated connection of the upstream's database: each NOTIFY calls `wake`. A pooled
 * connection would not do (the pool may close it, and LISTEN belongs to one session). When the connection drops
 * it is made again with backoff, and `wake` is called once it is back, since a NOTIFY sent meanwhile was lost.
 */
export class OutboxListener {
  private readonly logger = new Logger('TriggerSources');
  private client?: pg.Client;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly connection: pg.ClientConfig,
    private readonly channel: string,
    private readonly wake: () => void,
  ) {}

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client(this.connection);
    // Without a listener, a dropped connection's 'error' would end the process.
    client.on('error', (err) => this.dropped(client, err));
    client.on('end', () => this.dropped(client));
    client.on('notification', () => this.wake());
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch (err) {
      this.dropped(client, err as Error);
      return;
    }
    if (this.stopped) return void client.end().catch(() => undefined);
    this.client = client;
    if (this.failures) this.logger.log(`outbox listener on ${this.channel} is back`);
    this.failures = 0;
    this.wake();
  }

  private dropped(client: pg.Client, err?: Error): void {
    if (this.stopped || (this.client && this.client !== client) || this.timer) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    this.failures++;
    if (this.failures === 1) this.logger.warn(`outbox listener on ${this.channel} lost: ${err?.message ?? 'ended'}`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, backoffMs(this.failures));
  }
}

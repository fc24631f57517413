import { Logger } from '@nestjs/common';
import { type Dispatcher, request } from 'undici';
import { type BackoffPolicy, backoffMs, DEFAULT_BACKOFF } from './backoff.js';
import type { OutboxRow, OutboxStore } from './store.js';

export interface PumpOptions {
  /** Bearer token for a message (by its kind), e.g. from a TokenCache. Not used with `deliver`. */
  token?: (row: OutboxRow) => string;
  /** Delivers a row some other way than an HTTP POST to `row.url` (e-mail, a log line). */
  deliver?: (row: OutboxRow) => Promise<DeliveryOutcome>;
  /**
   * When several processes pump one table: each row is first claimed for this long, so that only
   * one of them delivers it (a crashed claimer's row is taken again after the lease).
   */
  leaseMs?: number;
  pollMs?: number;
  backoff?: BackoffPolicy;
  timeoutMs?: number;
  /** Extra headers for a message, e.g. the `traceparent` of the work it reports on. */
  headers?: (row: OutboxRow) => Record<string, string> | undefined;
  /** What the POSTs go through: the app's egress guard (#ferry/egress). */
  dispatcher?: Dispatcher;
}

export type DeliveryOutcome = { ok: true } | { ok: false; dead: boolean; error: string };

/**
 * One JSON POST of a message, and what it means for delivery: 2xx delivered; 5xx, 408, 429 and
 * network errors retried later; any other 4xx would be refused the same way forever, so it is dead.
 */
export async function postJson(
  url: string,
  body: unknown,
  opts: { headers?: Record<string, string>; timeoutMs: number; dispatcher?: Dispatcher },
): Promise<DeliveryOutcome> {
  try {
    const res = await request(url, {
      dispatcher: opts.dispatcher,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...opts.headers },
      body: JSON.stringify(body),
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true };
    const retriable = res.statusCode >= 500 || res.statusCode === 408 || res.statusCode === 429;
    return { ok: false, dead: !retriable, error: `HTTP ${res.statusCode}: ${text.slice(0, 500)}` };
  } catch (err) {
    return { ok: false, dead: false, error: (err as Error).message };
  }
}
type Outcome = DeliveryOutcome;

/**
 * Delivers outbox rows by HTTP POST until the receiver answers 2xx. Network errors, 5xx, 408 and
 * 429 are retried with backoff; other 4xx would fail the same way forever, so the row is kept as DEAD.
 */
export class OutboxPump {
  private readonly logger = new Logger('Outbox');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly store: OutboxStore,
    private readonly opts: PumpOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.opts.pollMs ?? 1000);
    this.timer.unref();
    this.kick();
  }

  /** Deliver now (after a commit that added rows) instead of at the next poll. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((err) => this.logger.warn(`outbox pass failed: ${(err as Error).message}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async drain(): Promise<void> {
    for (let pass = 0; pass < 20 && !this.stopped; pass++) {
      const rows = await this.store.due(Date.now());
      if (rows.length === 0) return;
      let delivered = 0;
      await Promise.all(
        rows.map(async (row) => {
          if (this.opts.leaseMs && !(await this.store.claim(row, Date.now() + this.opts.leaseMs))) return;
          const outcome = this.opts.deliver
            ? await this.opts
                .deliver(row)
                .catch((err: Error): Outcome => ({ ok: false, dead: false, error: err.message }))
            : await this.post(row);
          if (outcome.ok) {
            delivered++;
            await this.store.delivered(row.id);
          } else {
            const attempts = row.attempts + 1;
            await this.store.failed(
              row.id,
              attempts,
              Date.now() + backoffMs(attempts, this.opts.backoff ?? DEFAULT_BACKOFF),
              outcome.error,
              outcome.dead,
            );
          }
        }),
      );
      // Only loop while progress is made: the next message of a key may be ready now.
      if (delivered === 0) return;
    }
  }

  private post(row: OutboxRow): Promise<Outcome> {
    const headers = {
      ...this.opts.headers?.(row),
      ...(this.opts.token ? { authorization: `Bearer ${this.opts.token(row)}` } : {}),
    };
    const { timeoutMs = 10_000, dispatcher } = this.opts;
    return postJson(row.url, row.payload, { headers, timeoutMs, dispatcher });
  }
}

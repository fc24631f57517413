import { Logger } from '@nestjs/common';
import { type Dispatcher, getGlobalDispatcher } from 'undici';
import { DEFAULT_MAX_RESPONSE_BYTES, httpCall, ResponseTooLargeError } from '#ferry/http';
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
  /**
   * Failed attempts after which a row is kept as DEAD (listed, retried by an operator) instead of
   * retried again; without it a row is retried until it is delivered or refused for good.
   */
  maxAttempts?: number;
  /** Hears each row given up, once it is stored DEAD (e.g. to log what the message was about). */
  onDead?: (row: OutboxRow, error: string) => void;
  /** Rows read and delivered per pass (default 500): a backlog is worked through in bounded batches. */
  batchSize?: number;
  /** The most bytes read of a receiver's answer (`postJson`); default 1 MiB. */
  maxResponseBytes?: number;
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
  opts: { headers?: Record<string, string>; timeoutMs: number; maxResponseBytes?: number; dispatcher?: Dispatcher },
): Promise<DeliveryOutcome> {
  let status: number;
  let text: string;
  try {
    // The answer is read only to report a refusal, and never more of it than the cap.
    ({ status, text } = await httpCall(opts.dispatcher ?? getGlobalDispatcher(), url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...opts.headers },
      body: JSON.stringify(body),
      timeoutMs: opts.timeoutMs,
      maxBytes: opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    }));
  } catch (err) {
    // Its status still says whether the receiver took the message.
    if (!(err instanceof ResponseTooLargeError)) return { ok: false, dead: false, error: (err as Error).message };
    ({ status, message: text } = err);
  }
  if (status >= 200 && status < 300) return { ok: true };
  const retriable = status >= 500 || status === 408 || status === 429;
  return { ok: false, dead: !retriable, error: `HTTP ${status}: ${text.slice(0, 500)}` };
}
type Outcome = DeliveryOutcome;

/**
 * Delivers outbox rows by HTTP POST until the receiver answers 2xx. Network errors, 5xx, 408 and
 * 429 are retried with backoff, up to `maxAttempts`; other 4xx would fail the same way forever, so
 * the row is kept as DEAD, as is one whose attempts are spent.
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
      const rows = await this.store.due(Date.now(), this.opts.batchSize ?? 500);
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
            await this.failed(row, outcome);
          }
        }),
      );
      // Only loop while progress is made: the next message of a key may be ready now.
      if (delivered === 0) return;
    }
  }

  /** A failed attempt: retried after a backoff, or given up (a dead row's next_at says when). */
  private async failed(row: OutboxRow, outcome: Extract<Outcome, { ok: false }>): Promise<void> {
    const attempts = row.attempts + 1;
    const spent = this.opts.maxAttempts !== undefined && attempts >= this.opts.maxAttempts;
    const dead = outcome.dead || spent;
    const error = spent && !outcome.dead ? `gave up after ${attempts} attempts: ${outcome.error}` : outcome.error;
    const now = Date.now();
    const nextAt = dead ? now : now + backoffMs(attempts, this.opts.backoff ?? DEFAULT_BACKOFF);
    await this.store.failed(row.id, attempts, nextAt, error, dead);
    if (!dead) return;
    this.logger.warn(`outbox row ${row.id} (${row.kind}) is dead: ${error.slice(0, 300)}`);
    this.opts.onDead?.(row, error);
  }

  private post(row: OutboxRow): Promise<Outcome> {
    const headers = {
      ...this.opts.headers?.(row),
      ...(this.opts.token ? { authorization: `Bearer ${this.opts.token(row)}` } : {}),
    };
    const { timeoutMs = 10_000, maxResponseBytes, dispatcher } = this.opts;
    return postJson(row.url, row.payload, { headers, timeoutMs, maxResponseBytes, dispatcher });
  }
}

import { Logger } from '@nestjs/common';
import pg from 'pg';
import { backoffMs, OutboxListener } from './pg-outbox-listener.js';
import type { Settlement, SourceDelivery } from './source-delivery.js';
import type { OutboxSourceConfig, SourceFactory, TriggerSource } from './trigger-source.js';

const DEFAULT_BATCH = 100;
const DEFAULT_POLL_MS = 1000;
/** Connections to the upstream's database: the one reading a batch (and a spare while one is replaced). */
const POOL_SIZE = 2;
const CONNECT_TIMEOUT_MS = 10_000;

type Marked = { id: string; outcome: 'ACCEPTED' | 'REJECTED'; reason: string };

/**
 * Reads an outbox table in the upstream's own PostgreSQL database (docs/contract-additions.md, "Trigger sources:
 * pg-outbox"): a batch of unprocessed rows is locked (FOR UPDATE SKIP LOCKED, so several instances share the
 * table), each row is delivered in id order, and the rows delivered are marked processed in that same
 * transaction, committed once Ferry's answers are durable. A row is never marked before its trigger (or its
 * REJECTED record) is: a crash or a dropped connection in between rolls back, and the row is read again (the
 * intake answers a copy as a duplicate).
 */
export class PgOutboxSource implements TriggerSource {
  readonly name: string;
  private readonly logger = new Logger('TriggerSources');
  private readonly pool: pg.Pool;
  private readonly listener?: OutboxListener;
  private readonly table: string;
  private readonly batch: number;
  private readonly pollMs: number;
  private stopped = false;
  private loop?: Promise<void>;
  /** Resolves the wait between passes: a NOTIFY, the poll timer or stop(). */
  private wakeUp?: () => void;
  private woken = false;

  constructor(
    private readonly config: OutboxSourceConfig,
    private readonly delivery: Pick<SourceDelivery, 'deliver'>,
  ) {
    const where = new URL(config.url);
    this.name = `pg-outbox ${config.table} at ${where.host}${where.pathname}`;
    this.table = config.table
      .split('.')
      .map((part) => `"${part}"`)
      .join('.');
    this.batch = config.batch ?? DEFAULT_BATCH;
    this.pollMs = config.pollMs ?? DEFAULT_POLL_MS;
    // A host that does not answer must fail a pass (and let stop() finish), not hang it.
    const connection = {
      connectionString: config.url,
      application_name: 'ferry-outbox',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    };
    this.pool = new pg.Pool({ ...connection, max: POOL_SIZE });
    // An idle connection the server ends emits here; the next pass simply takes a new one.
    this.pool.on('error', () => undefined);
    if (config.channel) this.listener = new OutboxListener(connection, config.channel, () => this.wake());
  }

  async start(): Promise<void> {
    this.listener?.start();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
    await this.listener?.stop();
    await this.pool.end().catch(() => undefined);
  }

  private wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let full = false;
      try {
        const pass = await this.pass();
        if (failures && !pass.retry) this.logger.log(`${this.name}: reading again`);
        failures = pass.retry ? failures + 1 : 0;
        full = pass.read === this.batch && !pass.retry;
        if (pass.retry && failures === 1) this.logger.warn(`${this.name}: Ferry's database is away (${pass.retry})`);
      } catch (err) {
        failures++;
        if (failures === 1) this.logger.warn(`${this.name}: ${(err as Error).message}`);
      }
      // A full batch: more may be waiting. Otherwise wait for a NOTIFY or the poll, or back off after a failure.
      if (!full) await this.idle(failures ? backoffMs(failures) : this.pollMs, failures > 0);
    }
  }

  /** Waits `ms`; a wake-up (NOTIFY) cuts the wait short unless the pause is a backoff. */
  private async idle(ms: number, backoff: boolean): Promise<void> {
    if (this.stopped || (this.woken && !backoff)) return void (this.woken = false);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        if (backoff && !this.stopped) return;
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeUp = undefined;
    this.woken = false;
  }

  /**
   * One batch in one transaction on the upstream's database. Delivery stops at the first `retry` (Ferry's
   * database is away) or at stop(): the rows settled before it are marked and committed, that row and the rest
   * stay unprocessed for the next pass.
   */
  private async pass(): Promise<{ read: number; retry?: string }> {
    const client = await this.pool.connect();
    // The pool listens for errors of idle connections only: one dropped while in hand would end the process.
    const dropped = (): void => undefined;
    client.on('error', dropped);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string; payload: string | null }>(
        // `o.id`: a bare `id` would name the text column of the output, and order 10 before 9.
        `SELECT o.id::text AS id, o.payload::text AS payload FROM ${this.table} AS o
          WHERE o.processed_at IS NULL ORDER BY o.id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.batch],
      );
      const marked: Marked[] = [];
      let retry: string | undefined;
      for (const row of rows) {
        if (this.stopped) break;
        const settled = await this.deliver(row.payload ?? '');
        if (settled.settle === 'retry') {
          retry = settled.reason;
          break;
        }
        marked.push(markOf(row.id, settled));
      }
      if (marked.length)
        await client.query(
          `UPDATE ${this.table} AS t SET processed_at = now(), outcome = m.outcome, reason = m.reason
             FROM unnest($1::bigint[], $2::text[], $3::text[]) AS m(id, outcome, reason) WHERE t.id = m.id`,
          [marked.map((m) => m.id), marked.map((m) => m.outcome), marked.map((m) => m.reason)],
        );
      await client.query('COMMIT');
      return { read: rows.length, retry };
    } catch (err) {
      broken = err as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.off('error', dropped);
      // A connection that failed mid-transaction is not handed back to the pool.
      client.release(broken);
    }
  }

  private async deliver(payload: string): Promise<Settlement> {
    try {
      return await this.delivery.deliver(payload, { via: 'outbox', sources: this.config.sources });
    } catch (err) {
      return { settle: 'retry', reason: (err as Error).message };
    }
  }
}

function markOf(id: string, s: Exclude<Settlement, { settle: 'retry' }>): Marked {
  if (s.settle === 'ack')
    return { id, outcome: 'ACCEPTED', reason: `${s.duplicate ? 'duplicate of trigger' : 'trigger'} ${s.triggerId}` };
  return { id, outcome: 'REJECTED', reason: `${s.reason} (kept as trigger ${s.rejectedId})`.slice(0, 2000) };
}

export const pgOutboxSource: SourceFactory<OutboxSourceConfig> = (config, delivery) =>
  new PgOutboxSource(config, delivery);

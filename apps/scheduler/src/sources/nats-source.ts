import { Logger } from '@nestjs/common';
import {
  connect,
  type ConsumerMessages,
  Events,
  headers,
  type JetStreamClient,
  type JsMsg,
  type NatsConnection,
} from 'nats';
import { ensureTopology, natsTopology, type NatsTopology } from './nats-topology.js';
import type { Settlement, SourceDelivery } from './source-delivery.js';
import type { NatsSourceConfig, SourceFactory, TriggerSource } from './trigger-source.js';

/** Messages asked for per pull; those that arrive are handed to the intake together. */
const PULL_BATCH = 32;
/** How long one pull waits for messages (nats.js' floor is 1 s); after a lost connection, the next pull. */
const PULL_EXPIRES_MS = 5_000;
/** Pause after a failure (broker or database away), doubling up to the cap: no hot loop. */
const PAUSE_MS = { first: 500, max: 30_000 };
/**
 * A `retry` message comes back after 2, 4, 8, … s (at most a minute): with maxDeliver 5 it rides out about
 * a minute of database outage before it goes to the dead-letter subject.
 */
const NAK_DELAY_MS = { first: 2_000, max: 60_000 };
/** How long stop() waits for the acknowledgements in hand to reach the broker. */
const DRAIN_MS = 2_000;

/** The headers a dead letter carries besides the original's (`Nats-*` ones are the broker's, left out). */
export const DEAD_LETTER_HEADERS = {
  reason: 'Ferry-Dead-Letter-Reason',
  rejectedId: 'Ferry-Rejected-Id',
  stream: 'Ferry-Stream',
  streamSeq: 'Ferry-Stream-Seq',
  deliveries: 'Ferry-Deliveries',
  msgId: 'Ferry-Nats-Msg-Id',
} as const;

/**
 * NATS JetStream: a durable pull consumer with explicit acks. A message is acked once its trigger is durable;
 * one that can never be a trigger is published to the dead-letter subject, then terminated; while the
 * database is away it is handed back (nak with a delay). nats.js reconnects by itself; a pull cut short by
 * that ends at its timeout, and the loop pulls again.
 */
export class NatsSource implements TriggerSource {
  readonly name: string;
  private readonly logger = new Logger('TriggerSources');
  private readonly topology: NatsTopology;
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private ready = false;
  private stopping = false;
  private loop?: Promise<void>;
  private pull?: ConsumerMessages;
  private wake?: () => void;

  constructor(
    private readonly config: NatsSourceConfig,
    private readonly delivery: Pick<SourceDelivery, 'deliver'>,
  ) {
    this.topology = natsTopology(config);
    this.name = `nats ${config.servers} ${config.stream}/${config.consumer}`;
  }

  /** Returns at once: connecting (and waiting for a broker that is not up yet) is the loop's business. */
  async start(): Promise<void> {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.pull?.close().catch(() => undefined);
    // Messages in hand are settled first; those not reached were nak'ed by the loop.
    await this.loop;
    const nc = this.nc;
    if (!nc) return;
    await Promise.race([nc.drain().catch(() => undefined), new Promise((r) => setTimeout(r, DRAIN_MS).unref())]);
    if (!nc.isClosed()) await nc.close();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        const js = await this.jetStream();
        const retried = await this.pullOnce(js);
        failures = retried ? failures + 1 : 0;
      } catch (err) {
        if (this.stopping) break;
        // The stream or consumer may be gone (deleted, a broker that lost its store): set them up again.
        this.ready = false;
        if (failures === 0) this.logger.warn(`${this.name}: ${(err as Error).message}; trying again`);
        failures++;
      }
      if (failures) await this.pause(Math.min(PAUSE_MS.first * 2 ** (failures - 1), PAUSE_MS.max));
    }
  }

  private async jetStream(): Promise<JetStreamClient> {
    if (!this.nc || this.nc.isClosed()) {
      // Reconnects for ever once connected: a broker restart is waited out, buffered publishes and acks go on.
      this.nc = await connect({
        servers: this.config.servers.split(',').map((s) => s.trim()),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
      });
      this.js = this.nc.jetstream();
      this.ready = false;
      void this.watch(this.nc);
    }
    if (!this.ready) {
      await ensureTopology(await this.nc.jetstreamManager(), this.topology);
      this.ready = true;
    }
    return this.js!;
  }

  /** One pull: every message that arrives is settled before the next; true if any was handed back. */
  private async pullOnce(js: JetStreamClient): Promise<boolean> {
    const consumer = await js.consumers.get(this.topology.stream, this.topology.consumer);
    const pull = await consumer.fetch({ max_messages: PULL_BATCH, expires: PULL_EXPIRES_MS });
    this.pull = pull;
    const settling: Array<Promise<boolean>> = [];
    let failed: unknown;
    try {
      for await (const m of pull) {
        if (this.stopping) m.nak();
        else settling.push(this.settle(js, m));
      }
    } catch (err) {
      failed = err;
    } finally {
      this.pull = undefined;
    }
    // What is in hand is settled even when the pull failed half-way (a connection lost mid-batch).
    const handedBack = (await Promise.all(settling)).includes(true);
    if (failed) throw failed;
    return handedBack;
  }

  /** Hands one message to Ferry and settles it with the broker as the delivery says; true if handed back. */
  private async settle(js: JetStreamClient, m: JsMsg): Promise<boolean> {
    const deliveries = m.info.redeliveryCount;
    if (deliveries > this.topology.maxDeliver) {
      return this.deadLetter(js, m, `delivered ${deliveries - 1} times without being settled`);
    }
    let s: Settlement;
    try {
      s = await this.delivery.deliver(m.data, { via: 'nats', sources: this.config.sources });
    } catch (err) {
      s = { settle: 'retry', reason: (err as Error).message };
    }
    if (s.settle === 'ack') m.ack();
    else if (s.settle === 'dead-letter') return this.deadLetter(js, m, s.reason, s.rejectedId);
    else m.nak(Math.min(NAK_DELAY_MS.first * 2 ** (deliveries - 1), NAK_DELAY_MS.max));
    return s.settle === 'retry';
  }

  /**
   * Publishes the message, with its headers and why, to the dead-letter subject, then terminates it. The
   * dead letter's `Nats-Msg-Id` is the original's place in the stream, so publishing it again after a crash
   * between the two steps leaves one copy.
   */
  private async deadLetter(js: JetStreamClient, m: JsMsg, reason: string, rejectedId?: string): Promise<boolean> {
    const h = headers();
    for (const [key, values] of m.headers ?? []) {
      if (!/^nats-/i.test(key)) for (const v of values) h.append(key, v);
    }
    const msgId = m.headers?.get('Nats-Msg-Id');
    if (msgId) h.set(DEAD_LETTER_HEADERS.msgId, msgId);
    h.set(DEAD_LETTER_HEADERS.reason, reason.replace(/[\r\n]+/g, ' ').slice(0, 1000));
    if (rejectedId) h.set(DEAD_LETTER_HEADERS.rejectedId, rejectedId);
    h.set(DEAD_LETTER_HEADERS.stream, m.info.stream);
    h.set(DEAD_LETTER_HEADERS.streamSeq, String(m.seq));
    h.set(DEAD_LETTER_HEADERS.deliveries, String(m.info.redeliveryCount));
    try {
      await js.publish(this.topology.deadLetterSubject, m.data, { headers: h, msgID: `${m.info.stream}.${m.seq}` });
    } catch (err) {
      // The broker did not take the dead letter: the message goes back, to be dead-lettered on its next delivery.
      this.logger.warn(`${this.name}: could not dead-letter message ${m.seq}: ${(err as Error).message}`);
      m.nak(NAK_DELAY_MS.first);
      return true;
    }
    m.term();
    this.logger.warn(`${this.name}: message ${m.seq} sent to ${this.topology.deadLetterSubject}: ${reason}`);
    return false;
  }

  /** Says in the log when the connection drops and comes back (nats.js does the reconnecting). */
  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === Events.Disconnect) this.logger.warn(`${this.name}: connection lost, reconnecting`);
      else if (status.type === Events.Reconnect) this.logger.log(`${this.name}: reconnected`);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

export const natsSource: SourceFactory<NatsSourceConfig> = (config, delivery) => new NatsSource(config, delivery);

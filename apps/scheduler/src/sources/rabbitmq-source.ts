import { Logger } from '@nestjs/common';
import { type Channel, type ChannelModel, type ConsumeMessage, connect } from 'amqplib';
import type { Settlement, SourceDelivery } from './source-delivery.js';
import type { RabbitSourceConfig, SourceFactory, TriggerSource } from './trigger-source.js';

/** The tuning of every RabbitMQ source, with why. */
export const RABBIT_TUNING = {
  /** Unacknowledged messages in hand at once: enough to keep the intake busy, few enough to hand back quickly. */
  prefetch: 16,
  /** First pause before connecting again; doubled per failed attempt up to `reconnectMaxMs`. */
  reconnectFirstMs: 200,
  /** A broker away for long is tried every few seconds, not hammered. */
  reconnectMaxMs: 5_000,
  /** While the database is away a message is held this long before it goes back, so it is not redelivered hot. */
  retryPauseMs: 1_000,
  /** Heartbeats (seconds) so a half-open TCP connection is noticed. */
  heartbeatSeconds: 10,
} as const;

type Connect = (url: string) => Promise<ChannelModel>;

/** amqplib's connect, with our heartbeat unless the URL names one. */
const connectWithHeartbeat: Connect = (url) => {
  const u = new URL(url);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(RABBIT_TUNING.heartbeatSeconds));
  return connect(u.toString());
};

/** The queues and exchange a source declares: its queue dead-letters into an exchange bound to `<queue>.dead`. */
export function rabbitTopology(config: Pick<RabbitSourceConfig, 'queue' | 'deadLetterExchange'>) {
  return {
    queue: config.queue,
    deadLetterExchange: config.deadLetterExchange ?? `${config.queue}.dlx`,
    deadQueue: `${config.queue}.dead`,
  };
}

/** Declares the source's queue, its dead-letter exchange and dead queue (idempotent: the same arguments each time). */
export async function declareRabbitTopology(
  channel: Pick<Channel, 'assertExchange' | 'assertQueue' | 'bindQueue'>,
  config: Pick<RabbitSourceConfig, 'queue' | 'deadLetterExchange'>,
): Promise<void> {
  const { queue, deadLetterExchange, deadQueue } = rabbitTopology(config);
  await channel.assertExchange(deadLetterExchange, 'direct', { durable: true });
  await channel.assertQueue(deadQueue, { durable: true });
  // Dead-lettered under the queue's own name, whatever the routing key it was published with.
  await channel.bindQueue(deadQueue, deadLetterExchange, queue);
  await channel.assertQueue(queue, {
    durable: true,
    arguments: { 'x-dead-letter-exchange': deadLetterExchange, 'x-dead-letter-routing-key': queue },
  });
}

/**
 * Reads trigger messages from a durable RabbitMQ queue with manual acks. A message is acked only once
 * `SourceDelivery` says its trigger (or its REJECTED record) is durable; one that can never be a trigger is
 * nacked without requeue, so the broker moves it to the dead-letter exchange; while the database is away a
 * message is held a moment and then requeued. Whatever is unacked when the connection drops goes back to the
 * queue by the broker itself, and the intake's dedup by (source, messageId) makes its redelivery harmless.
 */
export class RabbitSource implements TriggerSource {
  readonly name: string;
  private readonly logger = new Logger('TriggerSources');
  private readonly topology: ReturnType<typeof rabbitTopology>;
  private connection?: ChannelModel;
  private channel?: Channel;
  private consumerTag?: string;
  private stopping = false;
  private failures = 0;
  private reconnectTimer?: NodeJS.Timeout;
  /** Deliveries being settled; stop() waits for them. */
  private readonly inHand = new Set<Promise<void>>();
  /** Pauses of messages waiting to go back; stop() ends them early. */
  private readonly pauses = new Set<() => void>();

  constructor(
    private readonly config: RabbitSourceConfig,
    private readonly delivery: Pick<SourceDelivery, 'deliver'>,
    private readonly open: Connect = connectWithHeartbeat,
  ) {
    this.topology = rabbitTopology(config);
    this.name = `rabbitmq queue ${config.queue}`;
  }

  /** Connects once; if the broker is away the source keeps trying in the background instead of failing the boot. */
  async start(): Promise<void> {
    this.stopping = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    const channel = this.channel;
    if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
    for (const end of this.pauses) end();
    await Promise.all(this.inHand);
    // Closing hands back to the queue anything still unacknowledged.
    await this.connection?.close().catch(() => undefined);
    this.connection = undefined;
    this.channel = undefined;
  }

  private async connect(): Promise<void> {
    if (this.stopping) return;
    let connection: ChannelModel | undefined;
    try {
      connection = await this.open(this.config.url);
      connection.on('error', (err: Error) => this.logger.warn(`${this.name}: ${err.message}`));
      connection.once('close', () => this.lost(connection!));
      const channel = await connection.createChannel();
      // A channel closed by the broker (a refused declaration, an unknown delivery tag) ends the connection too,
      // so that everything is declared again on a fresh one.
      channel.on('error', (err: Error) => this.logger.warn(`${this.name}: channel: ${err.message}`));
      channel.once('close', () => void connection!.close().catch(() => undefined));
      await declareRabbitTopology(channel, this.config);
      await channel.prefetch(this.config.prefetch ?? RABBIT_TUNING.prefetch);
      this.connection = connection;
      this.channel = channel;
      const { consumerTag } = await channel.consume(this.topology.queue, (msg) => this.received(channel, msg), {
        noAck: false,
      });
      this.consumerTag = consumerTag;
      if (this.stopping) return void (await connection.close().catch(() => undefined));
      if (this.failures) this.logger.log(`${this.name}: connected again`);
      this.failures = 0;
    } catch (err) {
      this.logger.warn(`${this.name}: cannot connect: ${(err as Error).message}`);
      if (connection) {
        connection.removeAllListeners('close');
        await connection.close().catch(() => undefined);
      }
      this.reconnectLater();
    }
  }

  private lost(connection: ChannelModel): void {
    if (connection !== this.connection) return;
    this.connection = undefined;
    this.channel = undefined;
    this.consumerTag = undefined;
    if (this.stopping) return;
    this.logger.warn(`${this.name}: connection lost, connecting again`);
    this.reconnectLater();
  }

  private reconnectLater(): void {
    if (this.stopping) return;
    const delay = Math.min(RABBIT_TUNING.reconnectFirstMs * 2 ** this.failures, RABBIT_TUNING.reconnectMaxMs);
    this.failures++;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private received(channel: Channel, msg: ConsumeMessage | null): void {
    // null: the broker cancelled the consumer (the queue was deleted): start over on a fresh connection.
    if (!msg) return void this.connection?.close().catch(() => undefined);
    const settling = this.settle(channel, msg).finally(() => this.inHand.delete(settling));
    this.inHand.add(settling);
  }

  private async settle(channel: Channel, msg: ConsumeMessage): Promise<void> {
    let settlement: Settlement;
    try {
      settlement = await this.delivery.deliver(msg.content, { via: 'rabbitmq', sources: this.config.sources });
    } catch (err) {
      settlement = { settle: 'retry', reason: (err as Error).message };
    }
    if (settlement.settle === 'retry') {
      this.logger.warn(`${this.name}: a message goes back to the queue: ${settlement.reason}`);
      await this.pause();
    }
    // A channel that closed meanwhile has already handed the message back to the broker: it comes again.
    if (channel !== this.channel) return;
    try {
      if (settlement.settle === 'ack') channel.ack(msg);
      else if (settlement.settle === 'dead-letter') channel.nack(msg, false, false);
      else channel.nack(msg, false, true);
    } catch (err) {
      this.logger.warn(`${this.name}: could not settle a message (it will be redelivered): ${(err as Error).message}`);
    }
  }

  private pause(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.pauses.delete(end);
        resolve();
      };
      const timer = setTimeout(end, RABBIT_TUNING.retryPauseMs);
      this.pauses.add(end);
    });
  }
}

export const rabbitSourceFactory: SourceFactory<RabbitSourceConfig> = (config, delivery) =>
  new RabbitSource(config, delivery);

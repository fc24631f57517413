import type { TriggerIntake } from '../triggers/trigger-intake.service.js';
import type { SourceDelivery } from './source-delivery.js';

/**
 * A trigger source in front of a broker or an upstream's table: it hands each message to `SourceDelivery` and
 * acknowledges it to its broker only as the delivery says, so a message is acknowledged only once its trigger
 * (or, for one that can never be valid, its REJECTED record) is durable. Started on instances that take work.
 */
export interface TriggerSource {
  /** For logs: the kind and where it reads from. */
  readonly name: string;
  start(): Promise<void>;
  /** Stops taking messages; those in hand are settled or handed back unacknowledged. */
  stop(): Promise<void>;
}

/** What every source is configured with, besides its own settings. */
export interface SourceConfigBase {
  /** The trigger `source` values it may deliver: names or prefixes (`billing.*`), as for HTTP clients. */
  sources: string[];
}

/** RabbitMQ (amqplib): a durable queue, manual acks, prefetch, a dead-letter exchange. */
export interface RabbitSourceConfig extends SourceConfigBase {
  type: 'rabbitmq';
  url: string;
  queue: string;
  prefetch?: number;
  /** Where a message that can never be a trigger goes (declared, with a queue bound to it). */
  deadLetterExchange?: string;
}

/** NATS JetStream (nats): a durable pull consumer, explicit acks, max deliveries, then a dead-letter subject. */
export interface NatsSourceConfig extends SourceConfigBase {
  type: 'nats';
  servers: string;
  stream: string;
  subject: string;
  consumer: string;
  /** Deliveries before a message goes to the dead-letter subject (default 5). */
  maxDeliver?: number;
  /** How long a delivered message may stay unsettled before it is offered again (default 30). */
  ackWaitSeconds?: number;
  /** Where a message that can never be a trigger goes (default `<subject>.dead`). */
  deadLetterSubject?: string;
}

/** An outbox table in the upstream's own PostgreSQL database, read in batches (FOR UPDATE SKIP LOCKED). */
export interface OutboxSourceConfig extends SourceConfigBase {
  type: 'pg-outbox';
  url: string;
  table: string;
  /** LISTEN channel that wakes the reader; polling every `pollMs` is the fallback. */
  channel?: string;
  batch?: number;
  pollMs?: number;
}

export type TriggerSourceConfig = RabbitSourceConfig | NatsSourceConfig | OutboxSourceConfig;

/** Builds the source for one configuration entry (one per `type`, registered in sources.module.ts). */
export type SourceFactory<C extends TriggerSourceConfig = TriggerSourceConfig> = (
  config: C,
  delivery: SourceDelivery,
) => TriggerSource;

export type { TriggerIntake };

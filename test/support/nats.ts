import { connect, headers, type JetStreamManager, type MsgHdrs, type NatsConnection } from 'nats';
import { eventually } from './scheduler.js';

/** The JetStream server of this machine, shared with other suites: each run uses streams of its own. */
export const NATS_URL = 'nats://127.0.0.1:4222';

/** A stream, subject and consumer no other run uses, and a publisher straight to the broker. */
export class NatsTestStream {
  readonly run = Math.random().toString(36).slice(2, 8);
  readonly stream = `FERRY_TEST_${this.run}`;
  readonly subject = `ferry.test.${this.run}.triggers`;
  readonly consumer = `ferry-${this.run}`;
  readonly deadLetterStream = `${this.stream}_DEAD`;

  private constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
  ) {}

  static async open(): Promise<NatsTestStream> {
    const nc = await connect({ servers: NATS_URL });
    return new NatsTestStream(nc, await nc.jetstreamManager());
  }

  /** A FERRY_TRIGGER_SOURCES entry for this stream, through `servers` (a proxy, say). */
  sourceConfig(servers = NATS_URL, more: Record<string, unknown> = {}) {
    return {
      type: 'nats' as const,
      servers,
      stream: this.stream,
      subject: this.subject,
      consumer: this.consumer,
      sources: ['billing'],
      ackWaitSeconds: 5,
      ...more,
    };
  }

  /** Publishes once the source has made the stream; answers whether the broker took it as a duplicate. */
  async publish(body: unknown, opts: { msgID?: string; headers?: Record<string, string> } = {}): Promise<boolean> {
    await this.streamReady();
    const h = headers();
    for (const [k, v] of Object.entries(opts.headers ?? {})) h.set(k, v);
    const data = typeof body === 'string' ? body : JSON.stringify(body);
    const ack = await this.nc.jetstream().publish(this.subject, new TextEncoder().encode(data), {
      headers: h,
      ...(opts.msgID ? { msgID: opts.msgID } : {}),
    });
    return ack.duplicate;
  }

  /** Once every message of the stream was settled by the consumer (none pending, none in hand). */
  async settled(timeoutMs = 30_000): Promise<void> {
    await eventually(
      async () => {
        const c = await this.jsm.consumers.info(this.stream, this.consumer);
        return c.num_pending === 0 && c.num_ack_pending === 0;
      },
      timeoutMs,
      'the consumer to settle every message',
    );
  }

  /** The dead letters so far, in order. */
  async deadLetters(): Promise<Array<{ data: string; headers: MsgHdrs | undefined }>> {
    const info = await this.jsm.streams.info(this.deadLetterStream).catch(() => undefined);
    const letters = [];
    if (!info?.state.messages) return [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await this.jsm.streams.getMessage(this.deadLetterStream, { seq });
      letters.push({ data: new TextDecoder().decode(m.data), headers: m.header });
    }
    return letters;
  }

  /** Deletes this run's streams (their consumers go with them). */
  async close(): Promise<void> {
    for (const s of [this.stream, this.deadLetterStream]) await this.jsm.streams.delete(s).catch(() => undefined);
    await this.nc.close();
  }

  private async streamReady(): Promise<void> {
    await eventually(
      () =>
        this.jsm.consumers.info(this.stream, this.consumer).then(
          () => true,
          () => false,
        ),
      30_000,
      `stream ${this.stream} and its consumer`,
    );
  }
}

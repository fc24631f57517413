import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import { RABBIT_TUNING, RabbitSource } from './rabbitmq-source.js';
import type { Settlement } from './source-delivery.js';

/** The part of an amqplib channel the source uses, recording what it was told. */
class FakeChannel extends EventEmitter {
  readonly acked: ConsumeMessage[] = [];
  readonly nacked: Array<{ msg: ConsumeMessage; requeue: boolean }> = [];
  onMessage?: (msg: ConsumeMessage | null) => void;
  cancelled = false;
  assertExchange = async () => ({});
  assertQueue = async () => ({});
  bindQueue = async () => ({});
  prefetch = async () => ({});
  consume = async (_q: string, onMessage: (msg: ConsumeMessage | null) => void) => {
    this.onMessage = onMessage;
    return { consumerTag: 'c1' };
  };
  cancel = async () => {
    this.cancelled = true;
    return { consumerTag: 'c1' };
  };
  ack = (msg: ConsumeMessage) => void this.acked.push(msg);
  nack = (msg: ConsumeMessage, _all: boolean, requeue: boolean) => void this.nacked.push({ msg, requeue });
}

class FakeConnection extends EventEmitter {
  readonly channel = new FakeChannel();
  closed = false;
  createChannel = async () => this.channel;
  close = async () => {
    if (this.closed) return;
    this.closed = true;
    this.channel.emit('close');
    this.emit('close');
  };
}

const message = (body: string) => ({ content: Buffer.from(body) }) as ConsumeMessage;
const flush = () => new Promise<void>((r) => setImmediate(r));

describe('RabbitSource', () => {
  let connections: FakeConnection[];
  let refuse: boolean;
  let answer: () => Promise<Settlement>;
  let source: RabbitSource;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    connections = [];
    refuse = false;
    answer = async () => ({ settle: 'ack', triggerId: 't', duplicate: false });
    const open = async () => {
      if (refuse) throw new Error('ECONNREFUSED');
      const c = new FakeConnection();
      connections.push(c);
      return c as unknown as ChannelModel;
    };
    source = new RabbitSource(
      { type: 'rabbitmq', url: 'amqp://x', queue: 'q', sources: ['billing'] },
      { deliver: () => answer() },
      open,
    );
  });
  afterEach(async () => {
    await source.stop();
    jest.useRealTimers();
  });

  const current = () => connections[connections.length - 1]!.channel;

  it('acks a delivered message and nacks one to dead-letter without requeue', async () => {
    await source.start();
    const good = message('{}');
    current().onMessage!(good);
    await flush();
    answer = async () => ({ settle: 'dead-letter', rejectedId: 'r', reason: 'bad' });
    const bad = message('nope');
    current().onMessage!(bad);
    await flush();
    expect(current().acked).toEqual([good]);
    expect(current().nacked).toEqual([{ msg: bad, requeue: false }]);
  });

  it('holds a message the database could not take, then hands it back for redelivery', async () => {
    await source.start();
    answer = async () => ({ settle: 'retry', reason: 'database away' });
    const msg = message('{}');
    current().onMessage!(msg);
    await flush();
    expect(current().nacked).toEqual([]);
    await jest.advanceTimersByTimeAsync(RABBIT_TUNING.retryPauseMs);
    expect(current().nacked).toEqual([{ msg, requeue: true }]);
    expect(current().acked).toEqual([]);
  });

  it('connects again with backoff after the connection is lost, and does not ack on the old channel', async () => {
    await source.start();
    let settle!: (s: Settlement) => void;
    answer = () => new Promise((r) => (settle = r));
    const first = current();
    first.onMessage!(message('{}'));
    await flush();
    refuse = true;
    await connections[0]!.close();
    await jest.advanceTimersByTimeAsync(RABBIT_TUNING.reconnectFirstMs);
    expect(connections).toHaveLength(1);
    refuse = false;
    await jest.advanceTimersByTimeAsync(RABBIT_TUNING.reconnectFirstMs * 2);
    expect(connections).toHaveLength(2);
    settle({ settle: 'ack', triggerId: 't', duplicate: false });
    await flush();
    // The broker already handed the old channel's message back: it is not acked anywhere.
    expect(first.acked).toEqual([]);
    expect(current().acked).toEqual([]);
  });

  it('keeps trying in the background when the broker is away at start', async () => {
    refuse = true;
    await source.start();
    expect(connections).toHaveLength(0);
    refuse = false;
    await jest.advanceTimersByTimeAsync(RABBIT_TUNING.reconnectFirstMs);
    expect(connections).toHaveLength(1);
  });

  it('stops taking messages, hands back a held one at once, and closes the connection', async () => {
    await source.start();
    answer = async () => ({ settle: 'retry', reason: 'database away' });
    const msg = message('{}');
    current().onMessage!(msg);
    await flush();
    await source.stop();
    expect(current().cancelled).toBe(true);
    expect(connections[0]!.closed).toBe(true);
    // Nacked before the channel closed (the broker would requeue it on close anyway).
    expect(current().nacked).toEqual([{ msg, requeue: true }]);
    await jest.advanceTimersByTimeAsync(RABBIT_TUNING.reconnectMaxMs);
    expect(connections).toHaveLength(1);
  });
});

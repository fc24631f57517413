import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DEAD_LETTER_HEADERS, NatsSource } from '../../apps/scheduler/src/sources/nats-source.js';
import type { Settlement, SourceDelivery } from '../../apps/scheduler/src/sources/source-delivery.js';
import { NatsTestStream } from '../support/nats.js';
import { eventually } from '../support/scheduler.js';

/** A delivery that answers from a script, one answer per call (the last one again once it runs out). */
function scripted(...answers: Settlement[]): Pick<SourceDelivery, 'deliver'> & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    deliver: async (raw) => {
      calls.push(Buffer.from(raw).toString('utf8'));
      return answers[Math.min(calls.length - 1, answers.length - 1)];
    },
  };
}

const retry: Settlement = { settle: 'retry', reason: 'the database is away' };
const ack: Settlement = { settle: 'ack', triggerId: 't-1', duplicate: false };

// The source against the real broker, with the intake's answers scripted: what the broker is told for each.
describe('the NATS source settling with the broker', () => {
  let nats: NatsTestStream;
  let source: NatsSource | undefined;

  beforeEach(async () => {
    nats = await NatsTestStream.open();
  });
  afterEach(async () => {
    await source?.stop();
    await nats.close();
  });

  it('hands a message back while the database is away, and acks it once its trigger is durable', async () => {
    const delivery = scripted(retry, ack);
    source = new NatsSource(nats.sourceConfig(), delivery);
    await source.start();
    await nats.publish({ messageId: 'm-1' });
    await nats.settled();
    expect(delivery.calls).toEqual(['{"messageId":"m-1"}', '{"messageId":"m-1"}']);
    expect(await nats.deadLetters()).toEqual([]);
  });

  it('sends a message delivered maxDeliver times without a settlement to the dead-letter subject', async () => {
    const delivery = scripted(retry);
    source = new NatsSource(nats.sourceConfig(undefined, { maxDeliver: 2 }), delivery);
    await source.start();
    await nats.publish({ messageId: 'm-2' }, { msgID: 'up-2', headers: { 'X-Upstream': 'billing' } });
    const [letter] = await eventually(async () => {
      const letters = await nats.deadLetters();
      return letters.length ? letters : undefined;
    }, 30_000);
    await nats.settled();
    expect(delivery.calls).toHaveLength(2);
    expect(letter.data).toBe('{"messageId":"m-2"}');
    expect(letter.headers?.get(DEAD_LETTER_HEADERS.reason)).toBe('delivered 2 times without being settled');
    expect(letter.headers?.get(DEAD_LETTER_HEADERS.deliveries)).toBe('3');
    expect(letter.headers?.get(DEAD_LETTER_HEADERS.msgId)).toBe('up-2');
    expect(letter.headers?.get('X-Upstream')).toBe('billing');
    expect(letter.headers?.has(DEAD_LETTER_HEADERS.rejectedId)).toBe(false);
  });

  it('settles the message in hand before it stops, without acking it: another reader gets it', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const slow: Pick<SourceDelivery, 'deliver'> = {
      deliver: async () => {
        await held;
        return retry;
      },
    };
    const first = new NatsSource(nats.sourceConfig(), slow);
    await first.start();
    await nats.publish({ messageId: 'm-3' });
    await eventually(async () => (await nats.jsm.consumers.info(nats.stream, nats.consumer)).num_ack_pending === 1);
    const stopped = first.stop();
    release();
    await stopped;

    const delivery = scripted(ack);
    source = new NatsSource(nats.sourceConfig(), delivery);
    await source.start();
    await nats.settled();
    expect(delivery.calls).toEqual(['{"messageId":"m-3"}']);
  });
});

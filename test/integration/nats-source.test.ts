import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeDownstream, TcpProxy } from '#ferry/testing';
import { DEAD_LETTER_HEADERS } from '../../apps/scheduler/src/sources/nats-source.js';
import { NatsTestStream } from '../support/nats.js';
import {
  definitionBody,
  eventually,
  fakeDownstreams,
  type SchedulerUnderTest,
  startTestScheduler,
  triggerBody,
} from '../support/scheduler.js';

type Listed = { id: string; messageId: string | null; status: string; via: string; reason: string | null };

// A scheduler reading a JetStream stream of its own through a proxy that can drop its connections.
describe('the NATS JetStream trigger source', () => {
  const downstreams = fakeDownstreams();
  let nats: NatsTestStream;
  let proxy: TcpProxy;
  let downstream: FakeDownstream;
  let s: SchedulerUnderTest;
  let name: string;

  beforeAll(async () => {
    nats = await NatsTestStream.open();
    proxy = await new TcpProxy('127.0.0.1', 4222).start();
    downstream = await downstreams.start();
    const config = nats.sourceConfig(`nats://127.0.0.1:${proxy.port}`);
    s = await startTestScheduler('postgres', { FERRY_TRIGGER_SOURCES: JSON.stringify([config]) });
    name = `nats-${nats.run}`;
    expect((await s.api('POST', '/definitions', definitionBody(name, [downstream.url]))).status).toBe(201);
  });
  afterAll(async () => {
    await s?.close();
    await proxy?.close();
    await downstreams.closeAll();
    await nats?.close();
  });

  /** Every trigger the scheduler lists, all pages. */
  async function triggers(): Promise<Listed[]> {
    const all: Listed[] = [];
    let cursor: string | null = null;
    do {
      const page = await s.api('GET', `/triggers?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return all;
  }

  const withMessageId = async (id: string) => (await triggers()).filter((t) => t.messageId === id);

  it('turns a valid message into one ACCEPTED trigger via nats, and acks it', async () => {
    await nats.publish(triggerBody(name, 2, `ok-${nats.run}`));
    const [trigger] = await eventually(async () => {
      const found = await withMessageId(`ok-${nats.run}`);
      return found.length ? found : undefined;
    });
    expect(trigger).toMatchObject({ status: 'ACCEPTED', via: 'nats' });
    await nats.settled();
    expect(await withMessageId(`ok-${nats.run}`)).toHaveLength(1);
  });

  it('makes one trigger of the same messageId sent again, and the stream drops a repeated Nats-Msg-Id', async () => {
    const body = triggerBody(name, 1, `twice-${nats.run}`);
    expect(await nats.publish(body, { msgID: `twice-${nats.run}` })).toBe(false);
    expect(await nats.publish(body, { msgID: `twice-${nats.run}` })).toBe(true);
    // A copy the stream cannot tell apart (another Nats-Msg-Id): the intake's dedup catches it.
    expect(await nats.publish(body, { msgID: `twice-${nats.run}-again` })).toBe(false);
    expect(await nats.publish(body)).toBe(false);
    await nats.settled();
    const found = await withMessageId(`twice-${nats.run}`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ status: 'ACCEPTED', via: 'nats' });
  });

  it('keeps a malformed message and one of a source not allowed as REJECTED, and dead-letters both', async () => {
    const before = new Set((await triggers()).map((t) => t.id));
    await nats.publish('{"messageId": "broken', { headers: { 'X-Upstream': 'billing-batch' } });
    await nats.publish({ ...triggerBody(name, 1, `stranger-${nats.run}`), source: 'payroll' });
    const rejected = await eventually(async () => {
      const fresh = (await triggers()).filter((t) => !before.has(t.id) && t.status === 'REJECTED');
      return fresh.length === 2 ? fresh : undefined;
    });
    expect(rejected.every((t) => t.via === 'nats')).toBe(true);
    const reasons = rejected.map((t) => t.reason ?? '');
    expect(reasons.some((r) => r.startsWith('Malformed JSON'))).toBe(true);
    expect(reasons.some((r) => r.includes('may not post triggers for source "payroll"'))).toBe(true);
    await nats.settled();

    const letters = await nats.deadLetters();
    expect(letters).toHaveLength(2);
    const malformed = letters.find((l) => l.data.startsWith('{"messageId": "broken'))!;
    expect(malformed.headers?.get('X-Upstream')).toBe('billing-batch');
    expect(malformed.headers?.get(DEAD_LETTER_HEADERS.reason)).toMatch(/^Malformed JSON/);
    expect(malformed.headers?.get(DEAD_LETTER_HEADERS.stream)).toBe(nats.stream);
    const stranger = letters.find((l) => l.data.includes('payroll'))!;
    expect(stranger.headers?.get(DEAD_LETTER_HEADERS.reason)).toContain('payroll');
    // Each dead letter names the REJECTED record it is listed as.
    expect(letters.map((l) => l.headers?.get(DEAD_LETTER_HEADERS.rejectedId)).sort()).toEqual(
      rejected.map((t) => t.id).sort(),
    );
  });

  it('reconnects after the broker connection is dropped mid-stream: every message becomes exactly one trigger', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `cut-${nats.run}-${i}`);
    for (const id of ids.slice(0, 20)) await nats.publish(triggerBody(name, 1, id));
    await eventually(async () => (await triggers()).some((t) => t.messageId?.startsWith(`cut-${nats.run}`)));
    const before = proxy.accepted;
    expect(before).toBeGreaterThan(0);
    await proxy.cut();
    for (const id of ids.slice(20)) await nats.publish(triggerBody(name, 1, id));
    // The broker stays away for a while (connections refused), then comes back: the source connects again.
    await new Promise((r) => setTimeout(r, 2000));
    await proxy.restore();
    await eventually(async () => proxy.accepted > before, 30_000, 'the source to connect again');

    await eventually(
      async () => {
        const seen = new Set((await triggers()).map((t) => t.messageId));
        return ids.every((id) => seen.has(id));
      },
      60_000,
      'every message to become a trigger',
    );
    await nats.settled(60_000);
    const listed = (await triggers()).filter((t) => t.messageId?.startsWith(`cut-${nats.run}-`));
    expect(listed).toHaveLength(ids.length);
    expect(new Set(listed.map((t) => t.messageId)).size).toBe(ids.length);
    expect(listed.every((t) => t.status === 'ACCEPTED' && t.via === 'nats')).toBe(true);
  });
});

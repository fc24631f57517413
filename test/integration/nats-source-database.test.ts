import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, TcpProxy, type FakeDownstream, type TestDatabase } from '#ferry/testing';
import { NatsTestStream } from '../support/nats.js';
import {
  definitionBody,
  eventually,
  fakeDownstreams,
  type SchedulerUnderTest,
  startTestScheduler,
  triggerBody,
} from '../support/scheduler.js';

// The scheduler reaches its PostgreSQL database through a proxy: cut, the database is away for the source,
// which must hand its messages back to the broker rather than ack or dead-letter them.
describe('the NATS trigger source while the database is away', () => {
  const downstreams = fakeDownstreams();
  let nats: NatsTestStream;
  let db: TestDatabase;
  let proxy: TcpProxy;
  let downstream: FakeDownstream;
  let s: SchedulerUnderTest;
  let name: string;

  beforeAll(async () => {
    nats = await NatsTestStream.open();
    db = await createTestDatabase('postgres');
    const url = new URL(db.config.url);
    proxy = await new TcpProxy(url.hostname, Number(url.port || 5432)).start();
    url.host = `127.0.0.1:${proxy.port}`;
    downstream = await downstreams.start();
    s = await startTestScheduler(
      'postgres',
      { FERRY_TRIGGER_SOURCES: JSON.stringify([nats.sourceConfig()]) },
      { db: { config: { ...db.config, url: url.toString() }, drop: () => db.drop() } },
    );
    name = `nats-db-${nats.run}`;
    expect((await s.api('POST', '/definitions', definitionBody(name, [downstream.url]))).status).toBe(201);
  });
  afterAll(async () => {
    proxy?.restore();
    await s?.close();
    await proxy?.close();
    await downstreams.closeAll();
    await nats?.close();
  });

  it('hands messages back until the database is back: each then becomes one trigger, none dead-lettered', async () => {
    const ids = Array.from({ length: 5 }, (_, i) => `away-${nats.run}-${i}`);
    await proxy.cut();
    for (const id of ids) await nats.publish(triggerBody(name, 1, id));
    // Handed back at least once each: offered again, not acked, not terminated.
    await eventually(
      async () => {
        const c = await nats.jsm.consumers.info(nats.stream, nats.consumer);
        return c.num_redelivered >= ids.length && c.num_ack_pending === ids.length;
      },
      30_000,
      'every message to be handed back',
    );
    await proxy.restore();

    await nats.settled(60_000);
    const listed = (await s.api('GET', '/triggers?limit=500')).body.items as Array<{
      messageId: string;
      status: string;
    }>;
    expect(listed.map((t) => t.messageId).sort()).toEqual([...ids].sort());
    expect(listed.every((t) => t.status === 'ACCEPTED')).toBe(true);
    expect(await nats.deadLetters()).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { FakeDownstream } from '#ferry/testing';
import { NatsTestStream } from '../support/nats.js';
import { SchedulerCluster } from '../support/scheduler-process.js';
import { eventually, triggerBody } from '../support/scheduler.js';

// Scheduler processes as deployed, two reading one JetStream consumer; one is killed with SIGKILL mid-stream
// with messages in hand, which the broker offers again once their ack wait (5 s here) is over.
jest.setTimeout(150_000);

describe('the NATS trigger source across scheduler processes', () => {
  let cluster: SchedulerCluster;
  let nats: NatsTestStream;
  let fake: FakeDownstream;

  beforeAll(async () => {
    cluster = await SchedulerCluster.create();
    nats = await NatsTestStream.open();
    fake = await new FakeDownstream().start();
  });
  afterAll(async () => {
    await cluster?.close();
    await fake?.close();
    await nats?.close();
  });

  it('kill -9 of one of two readers, then a restart: every message becomes exactly one trigger', async () => {
    const env = { FERRY_TRIGGER_SOURCES: JSON.stringify([nats.sourceConfig()]) };
    const first = await cluster.spawn(env);
    const second = await cluster.spawn(env);
    const name = `nats-crash-${nats.run}`;
    await cluster.define(first, name, fake.url);
    const listed = async () => {
      const items: Array<{ messageId: string | null; status: string; via: string }> = [];
      let cursor: string | null = null;
      do {
        const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page = await cluster.api(second, 'GET', `/triggers?limit=500${q}`);
        items.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      return items.filter((t) => t.messageId?.startsWith(`kill-${nats.run}-`));
    };

    const ids = Array.from({ length: 60 }, (_, i) => `kill-${nats.run}-${i}`);
    for (const id of ids.slice(0, 30)) await nats.publish(triggerBody(name, 1, id));
    await eventually(async () => (await listed()).length >= 5, 30_000, 'the first triggers');
    await first.kill('SIGKILL');
    for (const id of ids.slice(30)) await nats.publish(triggerBody(name, 1, id));
    await cluster.spawn(env);

    await eventually(async () => (await listed()).length >= ids.length, 90_000, 'every message to become a trigger');
    await nats.settled(60_000);
    const triggers = await listed();
    expect(triggers.map((t) => t.messageId).sort()).toEqual([...ids].sort());
    expect(triggers.every((t) => t.status === 'ACCEPTED' && t.via === 'nats')).toBe(true);
  });
});

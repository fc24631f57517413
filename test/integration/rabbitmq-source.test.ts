import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Channel, type ChannelModel, connect } from 'amqplib';
import { type ChildApp, createTestDatabase, TcpProxy } from '#ferry/testing';
import { declareRabbitTopology, rabbitTopology } from '../../apps/scheduler/src/sources/rabbitmq-source.js';
import type { RabbitSourceConfig } from '../../apps/scheduler/src/sources/trigger-source.js';
import { SchedulerCluster } from '../support/scheduler-process.js';
import {
  definitionBody,
  eventually,
  fakeDownstreams,
  type SchedulerUnderTest,
  startTestScheduler,
  triggerBody,
} from '../support/scheduler.js';

// The RabbitMQ on this machine is shared with other suites: every queue here is this run's own, and deleted after.
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const DEFINITION = 'rq';

type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

/** Every trigger record of a scheduler's database (each test boots on a fresh one), page by page. */
async function allTriggers(api: Api, status?: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: '500', ...(status && { status }), ...(cursor && { cursor }) });
    const page = await api('GET', `/triggers?${query}`);
    if (page.status !== 200) throw new Error(`GET /triggers: ${page.status} ${JSON.stringify(page.body)}`);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

/** Waits until exactly `ids` became triggers, each once, all via rabbitmq. */
async function expectEachOnce(api: Api, ids: string[], timeoutMs = 60_000): Promise<void> {
  const triggers = await eventually(
    async () => {
      const all = await allTriggers(api);
      return all.length >= ids.length ? all : undefined;
    },
    timeoutMs,
    `${ids.length} triggers`,
  );
  expect(triggers.map((t) => t.payload.messageId).sort()).toEqual([...ids].sort());
  expect(new Set(triggers.map((t) => `${t.status} ${t.via}`))).toEqual(new Set(['ACCEPTED rabbitmq']));
}

/** A test's own queue, declared as the source declares it, and a publisher straight to the broker. */
class TestQueue {
  readonly config: RabbitSourceConfig;
  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    sources: string[],
    prefetch?: number,
  ) {
    this.config = { type: 'rabbitmq', url: AMQP_URL, queue: `ferry-test-${randomUUID()}`, sources, prefetch };
  }

  static async open(sources: string[], prefetch?: number): Promise<TestQueue> {
    const connection = await connect(AMQP_URL);
    const q = new TestQueue(connection, await connection.createChannel(), sources, prefetch);
    await declareRabbitTopology(q.channel, q.config);
    return q;
  }

  /** FERRY_TRIGGER_SOURCES naming this queue, at `url` (the broker, or a proxy in front of it). */
  env(url = AMQP_URL): Record<string, string> {
    return { FERRY_TRIGGER_SOURCES: JSON.stringify([{ ...this.config, url }]) };
  }

  publish(body: unknown): void {
    const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    this.channel.sendToQueue(this.config.queue, bytes, { persistent: true });
  }

  /** Publishes `count` valid messages; answers their messageIds. */
  publishMany(count: number, label: string): string[] {
    const ids = Array.from({ length: count }, (_, i) => `${label}-${i}`);
    for (const id of ids) this.publish(triggerBody(DEFINITION, 1, id));
    return ids;
  }

  /** Takes every message now in the dead queue (as text). */
  async takeDead(): Promise<string[]> {
    const taken: string[] = [];
    for (;;) {
      const msg = await this.channel.get(rabbitTopology(this.config).deadQueue, { noAck: true });
      if (!msg) return taken;
      taken.push(msg.content.toString('utf8'));
    }
  }

  async waitingInQueue(): Promise<number> {
    return (await this.channel.checkQueue(this.config.queue)).messageCount;
  }

  async close(): Promise<void> {
    const { queue, deadLetterExchange, deadQueue } = rabbitTopology(this.config);
    await this.channel.deleteQueue(queue);
    await this.channel.deleteQueue(deadQueue);
    await this.channel.deleteExchange(deadLetterExchange);
    await this.connection.close();
  }
}

const downstreams = fakeDownstreams();
afterAll(() => downstreams.closeAll());

async function define(api: Api) {
  const downstream = await downstreams.start();
  const res = await api('POST', '/definitions', definitionBody(DEFINITION, [downstream.url]));
  if (res.status !== 201) throw new Error(`definition: ${res.status} ${JSON.stringify(res.body)}`);
}

describe('the RabbitMQ trigger source', () => {
  let q: TestQueue;
  let s: SchedulerUnderTest;

  beforeAll(async () => {
    // One message in hand at a time: a message published after another is settled after it.
    q = await TestQueue.open(['billing'], 1);
    s = await startTestScheduler('postgres', q.env());
    await define(s.api);
  });
  afterAll(async () => {
    await s?.close();
    await q?.close();
  });

  it('turns a message into one ACCEPTED trigger via rabbitmq, and the same messageId twice into one', async () => {
    q.publish(triggerBody(DEFINITION, 2, 'm-first'));
    q.publish(triggerBody(DEFINITION, 2, 'm-first'));
    q.publish(triggerBody(DEFINITION, 1, 'm-after'));
    const triggers = await eventually(
      async () => {
        const all = await allTriggers(s.api);
        return all.some((t) => t.payload.messageId === 'm-after') ? all : undefined;
      },
      20_000,
      'the message after the copies',
    );
    const first = triggers.filter((t) => t.payload.messageId === 'm-first');
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ status: 'ACCEPTED', via: 'rabbitmq', source: 'billing', fileCount: 2 });
    expect(await q.waitingInQueue()).toBe(0);
    expect(await q.takeDead()).toEqual([]);
  });

  it('keeps a malformed message and one of a source it may not deliver as REJECTED, and dead-letters both', async () => {
    const foreign = { ...triggerBody(DEFINITION, 1, 'm-foreign'), source: 'payroll' };
    q.publish('{"messageId": "m-broken", ');
    q.publish(foreign);
    q.publish(triggerBody(DEFINITION, 1, 'm-marker'));
    const rejected = await eventually(
      async () => {
        const all = await allTriggers(s.api, 'REJECTED');
        return all.length >= 2 ? all : undefined;
      },
      20_000,
      'two REJECTED records',
    );
    expect(rejected).toHaveLength(2);
    const malformed = rejected.find((t) => t.payload?.raw !== undefined);
    expect(malformed).toMatchObject({ via: 'rabbitmq', payload: { raw: '{"messageId": "m-broken", ' } });
    expect(malformed.reason).toMatch(/not JSON|Malformed/);
    const refused = rejected.find((t) => t.payload?.messageId === 'm-foreign');
    expect(refused).toMatchObject({ via: 'rabbitmq', payload: { source: 'payroll' } });
    expect(refused.reason).toMatch(/may not post triggers for source "payroll"/);

    const dead = await eventually(
      async () => {
        const taken = await q.takeDead();
        return taken.length ? taken : undefined;
      },
      20_000,
      'dead letters',
    );
    // The marker, published last, is settled last: by then both were dead-lettered.
    await eventually(
      async () => (await allTriggers(s.api, 'ACCEPTED')).some((t) => t.payload.messageId === 'm-marker'),
      20_000,
      'the marker',
    );
    dead.push(...(await q.takeDead()));
    expect(dead.sort()).toEqual(['{"messageId": "m-broken", ', JSON.stringify(foreign)].sort());
  });
});

describe('the RabbitMQ trigger source when the broker goes away mid-stream', () => {
  let q: TestQueue;
  let s: SchedulerUnderTest;
  let proxy: TcpProxy;

  beforeAll(async () => {
    q = await TestQueue.open(['billing']);
    proxy = await new TcpProxy('127.0.0.1', 5672).start();
    s = await startTestScheduler('postgres', q.env(proxy.via(AMQP_URL)));
    await define(s.api);
  });
  afterAll(async () => {
    await s?.close();
    await proxy?.close();
    await q?.close();
  });

  it('connects again and makes every message exactly one trigger', async () => {
    const before = q.publishMany(60, 'before');
    await eventually(async () => (await allTriggers(s.api)).length >= 5, 30_000, 'the first triggers');
    // Every connection through the proxy dropped, and new ones refused for a while, as a restarting broker does.
    await proxy.cut();
    const during = q.publishMany(40, 'during');
    await new Promise((r) => setTimeout(r, 1_500));
    const acceptedBefore = proxy.accepted;
    await proxy.restore();
    const after = q.publishMany(20, 'after');
    await expectEachOnce(s.api, [...before, ...during, ...after]);
    expect(proxy.accepted).toBeGreaterThan(acceptedBefore);
    expect(await q.waitingInQueue()).toBe(0);
  });
});

describe('the RabbitMQ trigger source while the database is away', () => {
  let q: TestQueue;
  let s: SchedulerUnderTest;
  let proxy: TcpProxy;

  beforeAll(async () => {
    q = await TestQueue.open(['billing']);
    const db = await createTestDatabase('postgres');
    proxy = await new TcpProxy('127.0.0.1', Number(new URL(db.config.url).port || 5432)).start();
    s = await startTestScheduler('postgres', q.env(), {
      db: { config: { ...db.config, url: proxy.via(db.config.url) }, drop: db.drop },
    });
    await define(s.api);
  });
  afterAll(async () => {
    await proxy?.restore();
    await s?.close();
    await proxy?.close();
    await q?.close();
  });

  it('hands messages back unacknowledged, and makes each one trigger once the database is back', async () => {
    await proxy.cut();
    const during = q.publishMany(20, 'during');
    // Held and handed back (requeued) meanwhile: none is acknowledged, none is dead-lettered.
    await new Promise((r) => setTimeout(r, 2_500));
    await proxy.restore();
    await expectEachOnce(s.api, during);
    expect(await q.waitingInQueue()).toBe(0);
    expect(await q.takeDead()).toEqual([]);
  });
});

describe('the RabbitMQ trigger source when a scheduler process is killed', () => {
  let q: TestQueue;
  let cluster: SchedulerCluster;

  beforeAll(async () => {
    q = await TestQueue.open(['billing']);
    cluster = await SchedulerCluster.create();
  });
  afterAll(async () => {
    await cluster?.close();
    await q?.close();
  });

  it('leaves nothing behind: what the killed one held is redelivered, and every message is one trigger', async () => {
    // Two instances read the same queue; one of them is killed with messages in hand.
    const doomed = await cluster.spawn(q.env());
    const survivor: ChildApp = await cluster.spawn(q.env());
    const api: Api = (m, p, b) => cluster.api(survivor, m, p, b);
    await define(api);
    const before = q.publishMany(80, 'before');
    await eventually(async () => (await allTriggers(api)).length >= 5, 30_000, 'the first triggers');
    await doomed.kill('SIGKILL');
    const during = q.publishMany(30, 'during');
    const restarted = await cluster.spawn(q.env());
    const after = q.publishMany(20, 'after');
    await expectEachOnce(api, [...before, ...during, ...after], 90_000);
    expect(await q.waitingInQueue()).toBe(0);
    expect((await cluster.api(restarted, 'GET', '/triggers?limit=1')).status).toBe(200);
  });
});

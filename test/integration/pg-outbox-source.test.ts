import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, type ChildApp, TcpProxy, type TestDatabase } from '#ferry/testing';
import { SchedulerCluster } from '../support/scheduler-process.js';
import {
  definitionBody,
  eventually,
  fakeDownstreams,
  type SchedulerUnderTest,
  startTestScheduler,
  triggerBody,
} from '../support/scheduler.js';

/** The upstream's own database, with the outbox table of docs/contract-additions.md and its NOTIFY trigger. */
class Upstream {
  readonly table = `outbox_${Math.random().toString(36).slice(2, 8)}`;
  readonly channel = `${this.table}_added`;
  private constructor(
    readonly db: TestDatabase,
    private readonly client: pg.Client,
  ) {}

  static async create(): Promise<Upstream> {
    const db = await createTestDatabase('postgres');
    const client = new pg.Client({ connectionString: db.config.url });
    await client.connect();
    const u = new Upstream(db, client);
    // `payload text`: a jsonb column could not even hold the malformed row the tests write.
    await client.query(`
      CREATE TABLE ${u.table} (
        id bigserial PRIMARY KEY,
        payload text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz,
        outcome text,
        reason text
      );
      CREATE INDEX ${u.table}_pending ON ${u.table} (id) WHERE processed_at IS NULL;
      CREATE FUNCTION ${u.table}_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('${u.channel}', ''); RETURN NULL; END $$;
      CREATE TRIGGER ${u.table}_notify AFTER INSERT ON ${u.table}
        FOR EACH STATEMENT EXECUTE FUNCTION ${u.table}_notify();`);
    return u;
  }

  /** The source's configuration entry; `pollMs` high by default, so that only a NOTIFY wakes it. */
  source(overrides: Record<string, unknown> = {}) {
    return {
      type: 'pg-outbox',
      url: this.db.config.url,
      table: this.table,
      channel: this.channel,
      pollMs: 600_000,
      batch: 10,
      sources: ['billing'],
      ...overrides,
    };
  }

  /** Rows written as the upstream would, in one transaction of its own. */
  async add(payloads: Array<string | object>): Promise<void> {
    const texts = payloads.map((p) => (typeof p === 'string' ? p : JSON.stringify(p)));
    await this.client.query(`INSERT INTO ${this.table} (payload) SELECT unnest($1::text[])`, [texts]);
  }

  async rows(): Promise<Array<{ id: string; payload: string; outcome: string | null; reason: string | null }>> {
    const r = await this.client.query(
      `SELECT o.id::text, o.payload, o.outcome, o.reason FROM ${this.table} AS o ORDER BY o.id`,
    );
    return r.rows;
  }

  /** The next row written gets this id. */
  async nextIds(id: number): Promise<void> {
    await this.client.query(`SELECT setval(pg_get_serial_sequence('${this.table}', 'id'), $1, false)`, [id]);
  }

  async pending(): Promise<number> {
    const r = await this.client.query(`SELECT count(*)::int AS n FROM ${this.table} WHERE processed_at IS NULL`);
    return r.rows[0].n;
  }

  /** The sources' connections whose last statement was their LISTEN: listening now. */
  async listening(): Promise<number> {
    const r = await this.client.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'ferry-outbox' AND query LIKE 'LISTEN %'`,
    );
    return r.rows[0].n;
  }

  /** Ends the sources' connections to this database, as a restart of the upstream's server would. */
  async dropSourceConnections(): Promise<number> {
    const r = await this.client.query(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'ferry-outbox'`,
    );
    return r.rows[0].n;
  }

  async close(): Promise<void> {
    await this.client.end();
    await this.db.drop();
  }
}

type Api = (method: string, path: string) => Promise<{ status: number; body: any }>;

/** Every trigger Ferry lists, all pages. */
async function allTriggers(api: Api, status = ''): Promise<any[]> {
  const items: any[] = [];
  let cursor = '';
  do {
    const page = await api('GET', `/triggers?limit=500${status ? `&status=${status}` : ''}${cursor}`);
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor ? `&cursor=${encodeURIComponent(page.body.nextCursor)}` : '';
  } while (cursor);
  return items;
}

const messages = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => triggerBody('outbox-flow', 1, `${prefix}-${i}`));

/** Every one of `ids` is exactly one trigger, from the outbox. */
async function expectOneTriggerEach(api: Api, ids: string[]): Promise<void> {
  const listed = (await allTriggers(api)).filter((t) => ids.includes(t.messageId));
  expect(listed.map((t) => t.messageId).sort()).toEqual([...ids].sort());
  expect(new Set(listed.map((t) => t.via))).toEqual(new Set(['outbox']));
}

describe('the pg-outbox trigger source', () => {
  const downstreams = fakeDownstreams();
  let upstream: Upstream;
  let s: SchedulerUnderTest;
  let second: SchedulerUnderTest | undefined;

  beforeAll(async () => {
    upstream = await Upstream.create();
    s = await startTestScheduler('postgres', { FERRY_TRIGGER_SOURCES: JSON.stringify([upstream.source()]) });
    const downstream = await downstreams.start();
    const defined = await s.api('POST', '/definitions', definitionBody('outbox-flow', [downstream.url]));
    expect(defined.status).toBe(201);
  });
  afterAll(async () => {
    await second?.close();
    await s?.close();
    await upstream?.close();
    await downstreams.closeAll();
  });

  const settled = () =>
    eventually(async () => ((await upstream.pending()) === 0 ? upstream.rows() : undefined), 20_000, 'rows settled');

  it('turns a row into one ACCEPTED trigger via outbox, woken by NOTIFY, and marks the row with it', async () => {
    const msg = triggerBody('outbox-flow', 2, 'outbox-one');
    await upstream.add([msg]);
    const [row] = await settled();
    const [trigger] = (await allTriggers(s.api)).filter((t) => t.messageId === 'outbox-one');
    expect(trigger).toMatchObject({ status: 'ACCEPTED', via: 'outbox', source: 'billing' });
    expect(row).toMatchObject({ outcome: 'ACCEPTED', reason: `trigger ${trigger.id}` });
  });

  it('makes one trigger of the same messageId written twice', async () => {
    const msg = triggerBody('outbox-flow', 1, 'outbox-twice');
    await upstream.add([msg, msg]);
    const rows = (await settled()).slice(-2);
    const triggers = (await allTriggers(s.api)).filter((t) => t.messageId === 'outbox-twice');
    expect(triggers).toHaveLength(1);
    expect(rows.map((r) => [r.outcome, r.reason])).toEqual([
      ['ACCEPTED', `trigger ${triggers[0].id}`],
      ['ACCEPTED', `duplicate of trigger ${triggers[0].id}`],
    ]);
  });

  it('delivers the rows of a batch in id order, 999 before 1000', async () => {
    await upstream.nextIds(998);
    const twice = triggerBody('outbox-flow', 1, 'outbox-ordered');
    // Ids 998 to 1001: the copy at 999 is read first and is the trigger, the one at 1000 its duplicate.
    await upstream.add([triggerBody('outbox-flow', 1, 'outbox-998'), twice, twice, triggerBody('outbox-flow', 1)]);
    const rows = (await settled()).filter((r) => Number(r.id) >= 998);
    const [trigger] = (await allTriggers(s.api)).filter((t) => t.messageId === 'outbox-ordered');
    expect(rows.map((r) => [r.id, r.reason?.replace(/ [0-9a-f-]{36}$/, '')])).toEqual([
      ['998', 'trigger'],
      ['999', 'trigger'],
      ['1000', 'duplicate of trigger'],
      ['1001', 'trigger'],
    ]);
    expect(rows[1].reason).toBe(`trigger ${trigger.id}`);
  });

  it('rejects malformed JSON and a source it may not deliver: listed REJECTED, the rows marked with why', async () => {
    const before = new Set((await allTriggers(s.api, 'REJECTED')).map((t) => t.id));
    const stranger = { ...triggerBody('outbox-flow', 1, 'outbox-stranger'), source: 'payroll' };
    await upstream.add(['{"messageId": "broken', stranger, triggerBody('outbox-flow', 1, 'outbox-after')]);
    const rows = (await settled()).slice(-3);
    expect(rows.map((r) => r.payload)).toEqual(['{"messageId": "broken', JSON.stringify(stranger), expect.any(String)]);
    const rejected = (await allTriggers(s.api, 'REJECTED')).filter((t) => !before.has(t.id));
    expect(rejected).toHaveLength(2);
    expect(rejected.every((t) => t.via === 'outbox')).toBe(true);
    const malformed = rejected.find((t) => t.reason.includes('not JSON'));
    const refused = rejected.find((t) => t.reason.includes('payroll'));
    expect(malformed?.payload).toEqual({ raw: '{"messageId": "broken' });
    expect(refused?.payload).toMatchObject({ messageId: 'outbox-stranger' });
    expect(rows[0]).toMatchObject({ outcome: 'REJECTED', reason: expect.stringContaining(malformed!.id) });
    expect(rows[1]).toMatchObject({ outcome: 'REJECTED', reason: expect.stringContaining(refused!.id) });
    // A poison row holds nothing up: the row after it went through.
    expect(rows[2].outcome).toBe('ACCEPTED');
  });

  it('shares the table with a second instance and goes on after its connections are dropped mid-stream', async () => {
    // Another scheduler on the same database, reading the same table by polling only.
    second = await startTestScheduler(
      'postgres',
      { FERRY_TRIGGER_SOURCES: JSON.stringify([upstream.source({ channel: undefined, pollMs: 50, batch: 3 })]) },
      { db: s.db, keepDb: true },
    );
    const sent = messages('outbox-drop', 60);
    await upstream.add(sent.slice(0, 30));
    expect(await upstream.dropSourceConnections()).toBeGreaterThan(0);
    await upstream.add(sent.slice(30, 45));
    await eventually(async () => (await upstream.pending()) < 15, 20_000, 'some rows read again');
    expect(await upstream.dropSourceConnections()).toBeGreaterThan(0);
    await upstream.add(sent.slice(45));
    const rows = (await settled()).slice(-sent.length);
    expect(rows.filter((r) => r.outcome !== 'ACCEPTED')).toEqual([]);
    await expectOneTriggerEach(
      s.api,
      sent.map((m) => m.messageId),
    );
  });

  it('listens again after its connection is dropped: a row written later is read without any poll', async () => {
    await second?.close();
    second = undefined;
    // The earlier test dropped its connections last: its LISTEN may not be made again yet.
    await eventually(async () => (await upstream.listening()) > 0, 20_000, 'the source listening again');
    expect(await upstream.dropSourceConnections()).toBeGreaterThan(0);
    // The only reader left polls every ten minutes: only its LISTEN, made again, can bring this row in.
    await upstream.add([triggerBody('outbox-flow', 1, 'outbox-relisten')]);
    const [row] = (await settled()).slice(-1);
    expect(row.outcome).toBe('ACCEPTED');
    await expectOneTriggerEach(s.api, ['outbox-relisten']);
  });
});

describe("the pg-outbox trigger source while Ferry's database is away", () => {
  const downstreams = fakeDownstreams();
  let upstream: Upstream;
  let proxy: TcpProxy;
  let s: SchedulerUnderTest;

  beforeAll(async () => {
    upstream = await Upstream.create();
    const db = await createTestDatabase('postgres');
    proxy = await new TcpProxy('127.0.0.1', Number(new URL(db.config.url).port || 5432)).start();
    s = await startTestScheduler(
      'postgres',
      { FERRY_TRIGGER_SOURCES: JSON.stringify([upstream.source({ pollMs: 100 })]) },
      { db: { config: { ...db.config, url: proxy.via(db.config.url) }, drop: db.drop } },
    );
    const defined = await s.api(
      'POST',
      '/definitions',
      definitionBody('outbox-flow', [(await downstreams.start()).url]),
    );
    expect(defined.status).toBe(201);
  });
  afterAll(async () => {
    if (proxy?.isCut) await proxy.restore();
    await s?.close();
    await proxy?.close();
    await upstream?.close();
    await downstreams.closeAll();
  });

  it('leaves the rows unprocessed, and makes each one trigger (a poison row one REJECTED) once it is back', async () => {
    await proxy.cut();
    const sent = messages('outbox-away', 5);
    await upstream.add([...sent, 'not json']);
    // Room for several passes to fail: none may mark a row whose trigger is not durable.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await upstream.pending()).toBe(6);
    await proxy.restore();
    await eventually(async () => (await upstream.pending()) === 0, 30_000, 'rows settled');
    expect((await upstream.rows()).map((r) => r.outcome)).toEqual([...sent.map(() => 'ACCEPTED'), 'REJECTED']);
    await expectOneTriggerEach(
      s.api,
      sent.map((m) => m.messageId),
    );
    const rejected = (await allTriggers(s.api, 'REJECTED')).filter((t) => t.payload?.raw === 'not json');
    expect(rejected).toHaveLength(1);
  });
});

describe('the pg-outbox trigger source across a scheduler killed with SIGKILL', () => {
  const downstreams = fakeDownstreams();
  let upstream: Upstream;
  let cluster: SchedulerCluster;

  beforeAll(async () => {
    upstream = await Upstream.create();
    cluster = await SchedulerCluster.create();
  });
  afterAll(async () => {
    await cluster?.close();
    await upstream?.close();
    await downstreams.closeAll();
  });

  it('makes every row exactly one trigger, none lost, when its reader is killed mid-stream and restarted', async () => {
    const env = { FERRY_TRIGGER_SOURCES: JSON.stringify([upstream.source({ pollMs: 100, batch: 5 })]) };
    const first: ChildApp = await cluster.spawn(env);
    await cluster.define(first, 'outbox-flow', (await downstreams.start()).url);
    const sent = messages('outbox-kill', 200);
    await upstream.add(sent);
    await eventually(async () => (await upstream.pending()) < 190, 30_000, 'the reader under way');
    await first.kill('SIGKILL');
    expect(await upstream.pending()).toBeGreaterThan(0);
    // The upstream goes on writing while no scheduler runs.
    const later = messages('outbox-kill-later', 20);
    await upstream.add(later);
    const again = await cluster.spawn(env);
    await eventually(async () => (await upstream.pending()) === 0, 60_000, 'every row settled');
    expect((await upstream.rows()).every((r) => r.outcome === 'ACCEPTED')).toBe(true);
    await expectOneTriggerEach(
      (method, path) => cluster.api(again, method, path),
      [...sent, ...later].map((m) => m.messageId),
    );
  });
});

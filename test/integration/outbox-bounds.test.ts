import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OutboxPump, OutboxStore } from '#ferry/outbox';
import type { Db } from '#ferry/persistence';
import { createTestDatabase, TEST_DB_TYPES, type TestDatabase } from '#ferry/testing';
import { openSchedulerDb } from '../../apps/scheduler/src/persistence/index.js';

// The shared outbox (libs/outbox) on the scheduler's alert_outbox table: a bounded read that keeps each
// key's order, a row given up after its attempts, listed and retried.
describe.each(TEST_DB_TYPES)('outbox bounds on %s', (dbType) => {
  let database: TestDatabase;
  let db: Db;
  let store: OutboxStore;
  let server: Server;
  let url = '';
  let answer = 503;

  beforeAll(async () => {
    database = await createTestDatabase(dbType);
    db = await openSchedulerDb(database.config);
    store = new OutboxStore(db, 'alert_outbox');
    server = createServer((req, res) => {
      req.resume();
      // An answer far over the cap: read no further than it.
      req.on('end', () => res.writeHead(answer).end('e'.repeat(3 * 1024 * 1024)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await db?.close();
    await database?.drop();
  });

  const add = (key: string, n: number) => db.tx((em) => store.add(em, { key, kind: 'k', url, payload: { n } }));

  it("reads at most `limit` due rows, each key's oldest pending one only", async () => {
    for (let i = 0; i < 3; i++) await add('a', i);
    for (let i = 0; i < 3; i++) await add(`solo-${i}`, i);
    const due = await store.due(Date.now(), 2);
    expect(due.map((r) => [r.key, r.payload])).toEqual([
      ['a', { n: 0 }],
      ['solo-0', { n: 0 }],
    ]);
    // The oldest of `a` not due yet (backing off): the rest of `a` waits behind it.
    await store.failed(due[0].id, 1, Date.now() + 60_000, 'later', false);
    expect((await store.due(Date.now(), 10)).map((r) => r.key)).toEqual(['solo-0', 'solo-1', 'solo-2']);
    // Dead, it no longer holds its key back.
    await store.failed(due[0].id, 2, Date.now(), 'gone', true);
    expect((await store.due(Date.now(), 10)).map((r) => [r.key, r.payload])[0]).toEqual(['a', { n: 1 }]);
  });

  it('gives a row up after maxAttempts (reading little of each answer); an operator retries it', async () => {
    const before = new Set((await store.list('PENDING', 100)).map((r) => r.id));
    await add('capped', 0);
    const [row] = (await store.list('PENDING', 100)).filter((r) => !before.has(r.id));
    const pump = new OutboxPump(store, {
      maxAttempts: 2,
      backoff: { initialMs: 10, factor: 1, maxMs: 10 },
      pollMs: 20,
      maxResponseBytes: 1024,
    });
    pump.start();
    try {
      const dead = await waitFor(async () => (await store.get(row.id))?.state === 'DEAD' && store.get(row.id));
      expect(dead).toMatchObject({ attempts: 2, state: 'DEAD' });
      expect(dead && dead.lastError).toMatch(
        /^gave up after 2 attempts: HTTP 503: The answer is larger than the 1024-byte limit/,
      );
      expect((await store.list('DEAD', 100)).map((r) => r.id)).toContain(row.id);

      // A 2xx is delivered, however much the receiver says with it.
      answer = 200;
      expect(await store.retry(row.id, Date.now())).toMatchObject({ state: 'PENDING', attempts: 0 });
      pump.kick();
      await waitFor(async () => (await store.get(row.id))?.state === 'DELIVERED');
      expect((await store.list('DEAD', 100)).map((r) => r.id)).not.toContain(row.id);
      // Only a dead row is retried.
      expect(await store.retry(row.id, Date.now())).toMatchObject({ state: 'DELIVERED' });
    } finally {
      await pump.stop();
    }
  });
});

async function waitFor<T>(check: () => Promise<T | false | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

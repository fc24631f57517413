import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createTestDatabase, FakeDownstream, TcpProxy } from '#ferry/testing';
import {
  definitionBody,
  eventually,
  startTestScheduler,
  type SchedulerUnderTest,
  triggerBody,
  triggerToken,
  waitForGroup,
} from '../support/scheduler.js';

// PostgreSQL taken away (every connection cut, new ones refused) while tasks are in flight: the API
// answers 503 and writes nothing, callbacks are refused, and once it is back the work finishes by
// itself (the poller learns what the lost callbacks said).
jest.setTimeout(60_000);

describe('the database stopped for a while (PostgreSQL behind a proxy)', () => {
  let s: SchedulerUnderTest;
  let proxy: TcpProxy;
  let fake: FakeDownstream;

  beforeAll(async () => {
    fake = await new FakeDownstream({ behaviour: 'manual' }).start();
    const db = await createTestDatabase('postgres');
    proxy = await new TcpProxy('127.0.0.1', Number(new URL(db.config.url).port || 5432)).start();
    s = await startTestScheduler(
      'postgres',
      { FERRY_RECONCILE_INTERVAL_MS: '1000' },
      { db: { config: { ...db.config, url: proxy.via(db.config.url) }, drop: db.drop } },
    );
  });
  afterAll(async () => {
    await proxy?.restore();
    await s?.close();
    await proxy?.close();
    await fake?.close();
  });

  it('503 with nothing half-written while it is down; the in-flight work completes when it is back', async () => {
    expect(
      (await s.api('POST', '/definitions', definitionBody('outage', [fake.url], { pollIntervalSeconds: 0.3 }))).status,
    ).toBe(201);
    const posted = await s.api('POST', '/triggers', triggerBody('outage', 5), triggerToken());
    const gid = posted.body.groupRuns[0].id;
    await eventually(async () => fake.starts.length === 5);

    await proxy.cut();
    const refused = await s.api('POST', '/triggers', triggerBody('outage', 3, 'm-during-outage'), triggerToken());
    expect([refused.status, refused.body.error.code]).toEqual([503, 'UNAVAILABLE']);
    // The downstream finishes meanwhile; its callbacks are refused with 503.
    const recon = (n: number) => ({
      expected: n,
      received: n,
      inserted: n,
      updated: 0,
      deleted: 0,
      unchanged: 0,
      rejected: 0,
      checksum: `sha256:${n - 10}`,
    });
    const answers = await Promise.all(
      fake.starts.map((st) =>
        fake.report(st.jobId, { status: 'SUCCEEDED', reconciliation: recon(st.body.files[0].recordCount!) }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([503, 503, 503, 503, 503]);
    await new Promise((r) => setTimeout(r, 2000));

    await proxy.restore();
    const done = await waitForGroup(s, gid, 'SUCCEEDED', 30_000);
    expect(done.counts).toEqual({ total: 5, succeeded: 5, failed: 0, cancelled: 0, skipped: 0 });
    expect(fake.starts).toHaveLength(5);
    const triggers = (await s.api('GET', '/triggers?limit=500')).body.items.map(
      (t: { messageId: string }) => t.messageId,
    );
    expect(triggers).not.toContain('m-during-outage');
    expect((await s.api('GET', '/group-runs?definition=outage')).body.items).toHaveLength(1);
    const again = await s.api('POST', '/triggers', triggerBody('outage', 3, 'm-during-outage'), triggerToken());
    expect([again.status, again.body.duplicate]).toEqual([202, false]);
    await eventually(async () => fake.starts.length === 8, 15_000, 'the new group to be dispatched');
  });
});

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { FakeDownstream } from '#ferry/testing';
import pg from 'pg';
import { SchedulerCluster } from '../support/scheduler-process.js';

jest.setTimeout(150_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Three scheduler processes on one PostgreSQL database and one Redis fire a per-second schedule for 30 s; one of
// them is killed with SIGKILL a third of the way in. Every second from the first fire to the last is fired
// exactly once, as one trigger and one group run, and none is a misfire.
describe('a per-second schedule on three scheduler processes', () => {
  let cluster: SchedulerCluster;
  let fake: FakeDownstream;
  let db: pg.Client;

  beforeAll(async () => {
    cluster = await SchedulerCluster.create();
    fake = await new FakeDownstream().start();
    db = new pg.Client({ connectionString: cluster.db.config.url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await cluster?.close();
    await fake?.close();
  });

  it('fires each second once, whichever instance takes it, while one instance dies', async () => {
    const nodes = [await cluster.spawn(), await cluster.spawn(), await cluster.spawn()];
    await cluster.define(nodes[0], 'every-second', fake.url, {
      bindings: [],
      schedule: { everySeconds: 1, misfire: 'FIRE_ALL', misfireThresholdSeconds: 60 },
    });
    await sleep(10_000);
    await nodes[1].kill('SIGKILL');
    await sleep(20_000);
    const res = await cluster.api(nodes[0], 'POST', '/definitions/every-second/schedule/pause');
    expect(res.status).toBe(200);
    await sleep(1_500); // a pass that took its rows before the pause commits its fires

    const fires = (
      await db.query<{ id: string; status: string; payload: string }>(
        "SELECT id, status, payload FROM trigger_message WHERE source = 'ferry.schedule' ORDER BY message_id",
      )
    ).rows;
    const times = fires.map((f) => Date.parse(JSON.parse(f.payload).attributes.scheduledAt));
    expect(fires.length).toBeGreaterThanOrEqual(25);
    // Each second from the first fire to the last, once.
    const expected = Array.from({ length: (times.at(-1)! - times[0]) / 1000 + 1 }, (_, i) => times[0] + i * 1000);
    expect(times).toEqual(expected);
    expect(fires.map((f) => f.status).filter((s) => s !== 'ACCEPTED')).toEqual([]);
    const runs = (await db.query<{ trigger_id: string }>('SELECT trigger_id FROM group_run')).rows;
    expect(runs.map((r) => r.trigger_id).sort()).toEqual(fires.map((f) => f.id).sort());
  });
});

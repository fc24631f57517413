import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Db } from '#ferry/persistence';
import { openSchedulerDb, TriggerEntity } from '../../apps/scheduler/src/persistence/index.js';
import {
  definitionBody,
  fakeDownstreams,
  type SchedulerUnderTest,
  startTestScheduler,
  triggerBody,
  triggerToken,
  waitForGroup,
} from '../support/scheduler.js';
import { expectRefused } from '../support/security.js';

jest.setTimeout(120_000);

// POST /triggers/{id}/replay: an UNMATCHED or REJECTED trigger matched again, once.
describe('trigger replay (PostgreSQL)', () => {
  const downstreams = fakeDownstreams();
  let s: SchedulerUnderTest;
  let db: Db;
  let url: string;

  beforeAll(async () => {
    s = await startTestScheduler('postgres');
    db = await openSchedulerDb(s.db.config);
    url = (await downstreams.start()).url;
  });
  afterAll(async () => {
    await db?.close();
    await s?.close();
    await downstreams.closeAll();
  });

  const replay = (id: string) => s.api('POST', `/triggers/${id}/replay`);
  const trigger = async (id: string) => (await s.api('GET', `/triggers/${id}`)).body;
  const runsOf = async (definition: string) =>
    (await s.api('GET', `/group-runs?definition=${definition}`)).body.items as Array<{ id: string; triggerId: string }>;
  async function unmatched(name: string): Promise<string> {
    const posted = await s.api('POST', '/triggers', triggerBody(name, 2), triggerToken());
    expect(posted.body.groupRuns).toEqual([]);
    return posted.body.triggerId;
  }
  async function rejected(payload: unknown): Promise<string> {
    const id = randomUUID();
    await db.run((em) =>
      em.insert(TriggerEntity, <object>{
        id,
        source: null,
        messageId: null,
        event: null,
        businessDate: null,
        status: 'REJECTED',
        reason: 'too many files',
        via: 'queue',
        payload,
        answer: null,
        receivedAt: Date.now(),
      }),
    );
    return id;
  }

  it("matches an UNMATCHED trigger against today's bindings, once", async () => {
    const id = await unmatched('replay-late');
    const before = await trigger(id);
    expect(before).toMatchObject({ status: 'UNMATCHED', replayedAt: null, replay: null });
    expectRefused(await replay(id), 409, 'CONFLICT'); // still nothing bound
    expect(await trigger(id)).toEqual(before);

    expect((await s.api('POST', '/definitions', definitionBody('replay-late', [url]))).status).toBe(201);
    const res = await replay(id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: 'UNMATCHED', replay: { triggerId: id, duplicate: false } });
    expect(res.body.replayedAt).not.toBeNull();
    const [run] = res.body.replay.groupRuns;
    expect(run).toMatchObject({ definition: 'replay-late', tasks: 2 });
    expect((await waitForGroup(s, run.id, 'SUCCEEDED')).triggerId).toBe(id);

    const again = await replay(id);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(await trigger(id));
    expect(again.body.replay).toEqual(res.body.replay);
    expect((await runsOf('replay-late')).map((r) => r.id)).toEqual([run.id]);
  });

  it('creates one group however many replays come at once', async () => {
    const id = await unmatched('replay-race');
    expect((await s.api('POST', '/definitions', definitionBody('replay-race', [url]))).status).toBe(201);
    const answers = await Promise.all([replay(id), replay(id), replay(id)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const runs = await runsOf('replay-race');
    expect(runs).toHaveLength(1);
    for (const a of answers) expect(a.body.replay.groupRuns.map((g: { id: string }) => g.id)).toEqual([runs[0].id]);
  });

  it('resolves the UNMATCHED_TRIGGER alert when the last waiting trigger of its source and event is replayed', async () => {
    type AlertItem = { id: string; kind: string; status: string; occurrences: number; detail: { event?: string } };
    const alertOf = async (event: string) =>
      ((await s.api('GET', '/alerts?limit=500')).body.items as AlertItem[]).filter(
        (a) => a.kind === 'UNMATCHED_TRIGGER' && a.detail.event === event,
      );
    const [first, second] = [await unmatched('replay-alerted'), await unmatched('replay-alerted')];
    const other = await unmatched('replay-elsewhere');
    const [raised] = await alertOf('replay-alerted.ready');
    expect(raised).toMatchObject({ status: 'OPEN', occurrences: 2 });

    for (const name of ['replay-alerted', 'replay-elsewhere'])
      expect((await s.api('POST', '/definitions', definitionBody(name, [url]))).status).toBe(201);
    expect((await replay(first)).status).toBe(200);
    // The second trigger still waits for its replay: the alert stays open.
    expect(await alertOf('replay-alerted.ready')).toEqual([expect.objectContaining({ id: raised.id, status: 'OPEN' })]);

    expect((await replay(second)).status).toBe(200);
    expect(await alertOf('replay-alerted.ready')).toEqual([
      expect.objectContaining({ id: raised.id, status: 'RESOLVED', resolvedAt: expect.any(String) }),
    ]);
    const audit = (await s.api('GET', `/audit?action=alert.resolve&objectId=${raised.id}`)).body.items;
    expect(audit).toEqual([
      expect.objectContaining({
        objectType: 'alert',
        before: expect.objectContaining({ status: 'OPEN' }),
        after: expect.objectContaining({ status: 'RESOLVED' }),
        detail: expect.objectContaining({ reason: 'trigger replayed', triggerId: second }),
      }),
    ]);
    // Another (source, event)'s alert is its own: open until its trigger is replayed.
    expect(await alertOf('replay-elsewhere.ready')).toEqual([expect.objectContaining({ status: 'OPEN' })]);
    expect((await replay(other)).status).toBe(200);
    expect(await alertOf('replay-elsewhere.ready')).toEqual([expect.objectContaining({ status: 'RESOLVED' })]);
  });

  it('replays a REJECTED trigger only if it is now valid', async () => {
    expect((await s.api('POST', '/definitions', definitionBody('replay-rejected', [url]))).status).toBe(201);
    const valid = await rejected(triggerBody('replay-rejected', 1, 'm-was-rejected'));
    const res = await replay(valid);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'REJECTED', source: 'billing', messageId: 'm-was-rejected' });
    await waitForGroup(s, res.body.replay.groupRuns[0].id, 'SUCCEEDED');

    const invalid = await rejected({ source: 'billing', event: 'replay-rejected.ready' });
    const before = await trigger(invalid);
    expect(expectRefused(await replay(invalid), 409, 'CONFLICT')).toMatch(/messageId/);
    expect(await trigger(invalid)).toEqual(before);

    // The same message received since: replaying the rejected copy would run it twice.
    const copy = await rejected(triggerBody('replay-rejected', 1, 'm-was-rejected'));
    expectRefused(await replay(copy), 409, 'CONFLICT');
    expect((await trigger(copy)).replayedAt).toBeNull();
    expect(await runsOf('replay-rejected')).toHaveLength(1);
  });

  it('refuses an unknown trigger and an ACCEPTED one, changing nothing', async () => {
    expectRefused(await replay(randomUUID()), 404, 'NOT_FOUND');
    expectRefused(await replay('x'.repeat(40)), 404, 'NOT_FOUND');
    expect((await s.api('POST', '/definitions', definitionBody('replay-accepted', [url]))).status).toBe(201);
    const posted = await s.api('POST', '/triggers', triggerBody('replay-accepted', 1), triggerToken());
    await waitForGroup(s, posted.body.groupRuns[0].id, 'SUCCEEDED');
    const before = await trigger(posted.body.triggerId);
    expectRefused(await replay(posted.body.triggerId), 409, 'CONFLICT');
    expect(await trigger(posted.body.triggerId)).toEqual(before);
    expect(await runsOf('replay-accepted')).toHaveLength(1);
  });
});

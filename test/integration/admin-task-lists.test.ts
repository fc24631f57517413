import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Db } from '#ferry/persistence';
import { openSchedulerDb } from '../../apps/scheduler/src/persistence/index.js';
import {
  defineAndTrigger,
  fakeDownstreams,
  type SchedulerUnderTest,
  startTestScheduler,
  waitForGroup,
} from '../support/scheduler.js';
import { expectRefused } from '../support/security.js';

jest.setTimeout(120_000);

const ids = (page: { items: Array<{ id: string }> }) => page.items.map((t) => t.id);

// GET /task-runs and GET /group-runs/{id}/tasks against PostgreSQL, with 100,000 more task runs for the plans.
describe('the task-run lists (PostgreSQL)', () => {
  const downstreams = fakeDownstreams();
  let s: SchedulerUnderTest;
  let db: Db;
  let billing: string;
  let ledger: string;

  beforeAll(async () => {
    s = await startTestScheduler('postgres');
    db = await openSchedulerDb(s.db.config);
    const d = await downstreams.start();
    billing = await defineAndTrigger(s, 'lists-billing', d.url, 3);
    ledger = await defineAndTrigger(s, 'lists-ledger', d.url, 2);
    await waitForGroup(s, billing, 'SUCCEEDED');
    await waitForGroup(s, ledger, 'SUCCEEDED');
  });
  afterAll(async () => {
    await db?.close();
    await s?.close();
    await downstreams.closeAll();
  });

  it('lists every task run newest first, with its group definition and business date', async () => {
    const page = (await s.api('GET', '/task-runs')).body;
    expect(page.items).toHaveLength(5);
    expect(page.nextCursor).toBeNull();
    const created = page.items.map((t: { createdAt: string }) => t.createdAt);
    expect(created).toEqual([...created].sort().reverse());
    expect(page.items[0]).toMatchObject({
      definition: 'lists-ledger',
      businessDate: '2026-11-24',
      status: 'SUCCEEDED',
    });
    const def = (await s.api('GET', `/group-runs/${billing}`)).body;
    expect(page.items.find((t: { groupRunId: string }) => t.groupRunId === billing).definitionId).toBe(
      def.definitionId,
    );
  });

  it('filters by status, definition (name or id), business date and time range', async () => {
    const count = async (query: string) => (await s.api('GET', `/task-runs?${query}`)).body.items.length;
    const defId = (await s.api('GET', `/group-runs/${billing}`)).body.definitionId;
    expect(await count('status=SUCCEEDED')).toBe(5);
    expect(await count('status=FAILED')).toBe(0);
    expect(await count('definition=lists-billing')).toBe(3);
    expect(await count(`definition=${defId}`)).toBe(3);
    expect(await count('definition=lists-ledger&status=SUCCEEDED')).toBe(2);
    expect(await count('businessDate=2026-11-24')).toBe(5);
    expect(await count('businessDate=2026-11-25')).toBe(0);
    expect(await count(`from=${new Date(Date.now() + 60_000).toISOString()}`)).toBe(0);
    expect(await count(`to=${new Date(Date.now() + 60_000).toISOString()}`)).toBe(5);
  });

  it('lists the group runs of one business date, and refuses a date that is not YYYY-MM-DD on both lists', async () => {
    const groups = async (query: string) =>
      (await s.api('GET', `/group-runs?${query}`)).body.items.map((g: { id: string }) => g.id).sort();
    expect(await groups('businessDate=2026-11-24')).toEqual([billing, ledger].sort());
    expect(await groups('businessDate=2026-11-24&definition=lists-ledger')).toEqual([ledger]);
    expect(await groups('businessDate=2026-11-24&status=FAILED')).toEqual([]);
    expect(await groups('businessDate=2026-11-25')).toEqual([]);
    for (const bad of ['2026-11-5', '2026-02-30', '24.11.2026', 'yesterday', '2026-11-24T00:00:00Z']) {
      for (const list of ['/group-runs', '/task-runs']) {
        const res = await s.api('GET', `${list}?businessDate=${encodeURIComponent(bad)}`);
        expectRefused(res, 422, 'VALIDATION_FAILED');
        expect(res.body.error.details).toEqual([{ path: 'businessDate', problem: 'must be a date as YYYY-MM-DD' }]);
      }
    }
  });

  it('pages by cursor without repeating or losing a task', async () => {
    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = (
        await s.api('GET', `/task-runs?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      ).body;
      seen.push(...ids(page));
      cursor = page.nextCursor;
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
  });

  it("pages a group run's tasks by seq, and the group detail keeps its whole answer", async () => {
    const first = (await s.api('GET', `/group-runs/${billing}/tasks?limit=2`)).body;
    expect(first.items.map((t: { seq: number }) => t.seq)).toEqual([0, 1]);
    const second = (await s.api('GET', `/group-runs/${billing}/tasks?limit=2&cursor=${first.nextCursor}`)).body;
    expect(second.items.map((t: { seq: number }) => t.seq)).toEqual([2]);
    expect(second.nextCursor).toBeNull();
    expect((await s.api('GET', `/group-runs/${billing}`)).body.tasks).toHaveLength(3);
  });

  it('refuses an unknown group, a foreign cursor, a limit out of range and a bad instant', async () => {
    expectRefused(await s.api('GET', '/group-runs/no-such-group/tasks'), 404, 'NOT_FOUND');
    expectRefused(await s.api('GET', `/group-runs/${billing}/tasks?cursor=nope`), 422, 'VALIDATION_FAILED');
    expectRefused(await s.api('GET', '/task-runs?cursor=nope'), 422, 'VALIDATION_FAILED');
    expectRefused(await s.api('GET', '/task-runs?limit=0'), 422, 'VALIDATION_FAILED');
    expectRefused(await s.api('GET', '/task-runs?limit=501'), 422, 'VALIDATION_FAILED');
    expectRefused(await s.api('GET', '/task-runs?from=yesterday'), 422, 'VALIDATION_FAILED');
  });

  it('with 100,000 task runs, reads each page by index instead of sorting the history', async () => {
    const groupId = billing;
    const now = Date.now() - 86_400_000;
    await db.run((em) =>
      em.query(
        `INSERT INTO task_run (id, group_run_id, seq, file, status, attempt, max_attempts, overdue, version,
           created_at, updated_at)
         SELECT 'bulk-' || i, $1, 1000 + i, '{"name":"f"}', CASE WHEN i % 10 = 0 THEN 'FAILED' ELSE 'SUCCEEDED' END,
           1, 3, 0, 1, $2::bigint + i, $2::bigint + i
         FROM generate_series(1, 100000) AS i`,
        [groupId, now],
      ),
    );
    await db.run((em) => em.query('ANALYZE task_run'));
    const plan = async (where: string) =>
      JSON.stringify(
        await db.run((em) =>
          em.query(`EXPLAIN SELECT * FROM task_run t ${where} ORDER BY t.created_at DESC, t.id DESC LIMIT 51`),
        ),
      );
    expect(await plan('')).toContain('ix_task_created');
    expect(await plan("WHERE t.status = 'FAILED'")).toContain('ix_task_status_created');

    const failed = (await s.api('GET', '/task-runs?status=FAILED&limit=500')).body;
    expect(failed.items).toHaveLength(500);
    expect(failed.items.every((t: { status: string }) => t.status === 'FAILED')).toBe(true);
    const next = (await s.api('GET', `/task-runs?status=FAILED&limit=500&cursor=${failed.nextCursor}`)).body;
    expect(next.items).toHaveLength(500);
    expect(ids(next).filter((id) => ids(failed).includes(id))).toEqual([]);
    const byDefinition = (await s.api('GET', '/task-runs?definition=lists-ledger')).body;
    expect(byDefinition.items).toHaveLength(2);
    const inGroup = (await s.api('GET', `/group-runs/${groupId}/tasks?limit=500`)).body;
    expect(inGroup.items).toHaveLength(500);
    expect(inGroup.nextCursor).not.toBeNull();
  });
});

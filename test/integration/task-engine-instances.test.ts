import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Db } from '#ferry/persistence';
import { createTestDatabase, TEST_DB_TYPES, type TestDatabase } from '#ferry/testing';
import { DefinitionEntity, TaskEventEntity, openSchedulerDb } from '../../apps/scheduler/src/persistence/index.js';
import type { TaskEngine } from '../../apps/scheduler/src/tasks/task-engine.js';
import type { LoadedTasks } from '../../apps/scheduler/src/tasks/task-store.js';
import { definitionRow } from './support/definition-row.js';
import { type SchedulerParts, schedulerParts } from './support/scheduler-parts.js';

// Two scheduler instances' task engines on one database: each keeps the rows it last wrote, and
// must still answer from the database's truth when the other instance moved the task meanwhile.
describe.each(TEST_DB_TYPES)('task engines of two instances on %s', (dbType) => {
  let database: TestDatabase;
  const dbs: Db[] = [];
  let a: TaskEngine;
  let b: TaskEngine;

  const parts = async (opts: Parameters<typeof schedulerParts>[1] = {}): Promise<SchedulerParts> => {
    const db = await openSchedulerDb(database.config);
    dbs.push(db);
    return schedulerParts(db, opts);
  };
  const engine = async (): Promise<TaskEngine> => (await parts()).engine;

  beforeAll(async () => {
    database = await createTestDatabase(dbType);
    a = (await parts()).engine;
    b = await engine();
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await database?.drop();
  });

  /** A one-file ASYNC group run, its task claimed by instance A (which now holds the row). */
  async function claimedByA(): Promise<{ taskId: string; dispatchId: string }> {
    const now = Date.now();
    const definition = definitionRow('ASYNC', now);
    const factory = schedulerParts(dbs[0]).factory;
    const plan = factory.plan(definition, { files: [{ name: 'f1' }] }, null, now);
    await dbs[0].tx(async (em) => {
      await em.insert(DefinitionEntity, definition as object);
      await factory.persist(em, plan);
    });
    const taskId = plan.tasks[0].id;
    const [claim] = await a.applyBatch([{ taskId, cmd: { kind: 'claim' } }]);
    expect(claim.answer.type).toBe('send');
    return { taskId, dispatchId: (claim.answer as { dispatchId: string }).dispatchId };
  }

  const events = (taskId: string) =>
    dbs[0].run((em) => em.getRepository(TaskEventEntity).find({ where: { taskRunId: taskId }, order: { at: 'ASC' } }));

  it('a write decided on a row the other instance moved since is decided again on the fresh row', async () => {
    const { taskId, dispatchId } = await claimedByA();
    const running = {
      kind: 'report',
      actor: 'callback',
      body: { dispatchId, status: 'RUNNING', progress: { processed: 5, total: 10 } },
    } as const;
    expect((await b.submit(taskId, running)).answer).toEqual({ type: 'applied' });
    // A still holds the task as DISPATCHED, where this report would be a move; the database says it is a duplicate.
    const again = await a.submit(taskId, running);
    expect(again.answer).toEqual({ type: 'ignored', reason: 'DUPLICATE' });
    expect(again.task?.status).toBe('RUNNING');
    expect((await events(taskId)).map((e) => e.toStatus)).toEqual(['DISPATCHED', 'RUNNING']);
  });

  it('an answer that writes nothing is never given from a row the other instance moved since', async () => {
    const { taskId, dispatchId } = await claimedByA();
    const running = {
      kind: 'report',
      actor: 'callback',
      body: { dispatchId, status: 'RUNNING', progress: { processed: 5, total: 10 } },
    } as const;
    expect((await a.submit(taskId, running)).answer).toEqual({ type: 'applied' });
    expect(
      (await b.submit(taskId, { kind: 'report', actor: 'callback', body: { dispatchId, status: 'SUCCEEDED' } })).task
        ?.status,
    ).toBe('SUCCEEDED');
    // On A's RUNNING row the same progress again would be a DUPLICATE; the task has in fact finished, so it is STALE.
    const late = await a.submit(taskId, running);
    expect(late.answer).toEqual({ type: 'ignored', reason: 'STALE' });
    expect(late.task?.status).toBe('SUCCEEDED');
    // And a contradicting final report is refused against the truth, not accepted against A's old row.
    const contra = await a.submit(taskId, {
      kind: 'report',
      actor: 'callback',
      body: { dispatchId, status: 'FAILED', error: { code: 'X', message: 'x' } },
    });
    expect(contra.answer.type).toBe('conflict');
    expect((await events(taskId)).map((e) => e.toStatus)).toEqual(['DISPATCHED', 'RUNNING', 'SUCCEEDED']);
  });

  it(
    'a row the engine held is not lost when other batches evict it while this batch reads the rest ' +
      '(no 404 for a live task)',
    async () => {
      const { taskId, dispatchId } = await claimedByA(); // A holds this row
      const other = await claimedByA();
      const { engine: third, tasks } = await parts();
      // A third engine that holds only the first task's row, and whose cache is emptied during its read of the other.
      await third.applyBatch([
        { taskId, cmd: { kind: 'report', actor: 'callback', body: { dispatchId, status: 'RUNNING' } } },
      ]);
      type Inner = { load(...args: unknown[]): Promise<LoadedTasks> };
      const { rows: cache, inner } = tasks as unknown as { rows: Map<string, unknown>; inner: Inner };
      cache.delete(other.taskId);
      expect(cache.has(taskId)).toBe(true);
      const load = inner.load.bind(inner);
      inner.load = async (...args) => {
        const read = await load(...args);
        cache.clear(); // what a burst of other batches does at the cache's limit
        return read;
      };
      const out = await third.applyBatch([
        { taskId, cmd: { kind: 'report', actor: 'callback', body: { dispatchId, status: 'SUCCEEDED' } } },
        {
          taskId: other.taskId,
          cmd: { kind: 'report', actor: 'callback', body: { dispatchId: other.dispatchId, status: 'RUNNING' } },
        },
      ]);
      expect(out.map((o) => [o.answer.type, o.task?.status])).toEqual([
        ['applied', 'SUCCEEDED'],
        ['applied', 'RUNNING'],
      ]);
    },
  );

  it(
    'a group run created here is dispatched from its tasks as created, once; ' +
      'a task the other instance claimed first gets no second attempt',
    async () => {
      const now = Date.now();
      const definition = definitionRow('ASYNC', now);
      const factory = schedulerParts(dbs[0]).factory;
      const plan = factory.plan(definition, { files: [{ name: 'f1' }, { name: 'f2' }, { name: 'f3' }] }, null, now);
      const sync = factory.plan(
        { ...definition, spec: { ...(definition.spec as object), mode: 'SYNC' } } as DefinitionEntity,
        { files: [{ name: 'f1' }] },
        null,
        now,
      );
      await dbs[0].tx(async (em) => {
        await em.insert(DefinitionEntity, definition as object);
        await factory.persist(em, plan);
        await factory.persist(em, sync);
      });
      // A third instance whose clock is a minute ahead: any dispatch it finds unanswered has surely
      // been given up by its sender, so it re-sends it (under the same dispatch id) at once.
      const ahead = await parts({ clock: () => Date.now() + 60_000 });
      ahead.created.created([plan, sync]);
      const [first, second, third] = plan.tasks.map((t) => t.id);
      // B's group job got there first for one task (a rerun elsewhere, say).
      const [byB] = await b.applyBatch([{ taskId: second, cmd: { kind: 'claim' } }]);
      expect(byB.answer).toMatchObject({ type: 'send', attempt: 1 });

      const ids = ahead.created.takeReady(plan.group.id);
      expect(ids).toEqual([first, second, third]);
      expect(ahead.created.takeReady(plan.group.id)).toBeUndefined(); // a rerun of the job reads the database
      expect(ahead.created.takeReady(sync.group.id)).toBeUndefined(); // SYNC runs go task by task
      const claims = await ahead.engine.applyBatch(ids!.map((taskId) => ({ taskId, cmd: { kind: 'claim' } })));
      expect(claims.map((c) => c.answer)).toEqual([
        expect.objectContaining({ type: 'send', attempt: 1 }),
        // Decided on the database's row, not the cached PENDING one: B's attempt, re-sent under its own
        // dispatch id, not a second attempt.
        { ...byB.answer, resend: true },
        expect.objectContaining({ type: 'send', attempt: 1 }),
      ]);
      expect((await events(second)).map((e) => e.toStatus)).toEqual(['DISPATCHED']);
    },
  );
});

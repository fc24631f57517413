import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Db } from '#ferry/persistence';
import { createTestDatabase, TEST_DB_TYPES, type TestDatabase } from '#ferry/testing';
import { DefinitionEntity, openSchedulerDb } from '../../apps/scheduler/src/persistence/index.js';
import { adaptersFor } from '../../apps/scheduler/src/storage/adapters.js';
import { DEFAULT_TUNING } from '../../apps/scheduler/src/tuning.js';
import { definitionRow } from './support/definition-row.js';
import { type SchedulerParts, schedulerParts } from './support/scheduler-parts.js';

// The SYNC cascade through the engine and the store's sibling reads on each database: a success
// readies the next task only, a cancel skips all later ones, a retry un-skips them (not ready).
describe.each(TEST_DB_TYPES)('the SYNC cascade on %s', (dbType) => {
  let database: TestDatabase;
  let db: Db;
  let parts: SchedulerParts;
  beforeAll(async () => {
    database = await createTestDatabase(dbType);
    db = await openSchedulerDb(database.config);
    parts = schedulerParts(db);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  async function syncRun(files: number): Promise<string[]> {
    const now = Date.now();
    const definition = definitionRow('SYNC', now);
    const factory = parts.factory;
    const plan = factory.plan(
      definition,
      { files: [...Array(files).keys()].map((i) => ({ name: `f${i}` })) },
      null,
      now,
    );
    await db.tx(async (em) => {
      await em.insert(DefinitionEntity, definition as object);
      await factory.persist(em, plan);
    });
    return plan.tasks.map((t) => t.id);
  }

  /** The tasks as the database has them (a fresh engine's store: nothing cached). */
  const read = async (ids: string[]) => {
    const { rows } = await db.run((em) => adaptersFor(db, DEFAULT_TUNING).tasks.load(em, ids));
    return ids.map((id) => ({ status: rows.get(id)!.status, ready: rows.get(id)!.readyAt !== null }));
  };

  const claim = async (id: string) => {
    const out = await parts.engine.submit(id, { kind: 'claim' });
    expect(out.answer.type).toBe('send');
    return (out.answer as { dispatchId: string }).dispatchId;
  };

  it('readies the next task on a success, skips the later ones on a cancel, un-skips them on a retry', async () => {
    const ids = await syncRun(4);
    expect(await read(ids)).toEqual([
      { status: 'PENDING', ready: true },
      { status: 'PENDING', ready: false },
      { status: 'PENDING', ready: false },
      { status: 'PENDING', ready: false },
    ]);
    const dispatchId = await claim(ids[0]);
    const body = { dispatchId, status: 'SUCCEEDED' } as const;
    expect((await parts.engine.submit(ids[0], { kind: 'report', actor: 'callback', body })).answer.type).toBe(
      'applied',
    );
    expect((await read(ids)).map((t) => t.ready)).toEqual([true, true, false, false]);

    await claim(ids[1]);
    expect((await parts.engine.submit(ids[1], { kind: 'cancel', actor: 'operator' })).answer.type).toBe('applied');
    expect((await read(ids)).map((t) => t.status)).toEqual(['SUCCEEDED', 'CANCELLED', 'SKIPPED', 'SKIPPED']);

    expect((await parts.engine.submit(ids[1], { kind: 'retry', actor: 'operator' })).answer.type).toBe('applied');
    expect(await read(ids)).toEqual([
      { status: 'SUCCEEDED', ready: true },
      { status: 'PENDING', ready: true },
      { status: 'PENDING', ready: false },
      { status: 'PENDING', ready: false },
    ]);
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Db } from '#ferry/persistence';
import { createTestDatabase, type TestDatabase } from '#ferry/testing';
import { GroupRunFactory } from '../../apps/scheduler/src/groups/group-run.factory.js';
import {
  DefinitionEntity,
  GroupRunEntity,
  TaskRunEntity,
  TriggerEntity,
  openSchedulerDb,
} from '../../apps/scheduler/src/persistence/index.js';
import { pgInsertIfNew } from '../../apps/scheduler/src/storage/pg/pg-task-sql.js';

// A trigger with its group run and tasks as one statement on PostgreSQL: written whole when the
// trigger is new, not at all (and without an error) when a copy of it is there.
describe('pgInsertIfNew on PostgreSQL', () => {
  let database: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    database = await createTestDatabase('postgres', 4);
    db = await openSchedulerDb(database.config);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const definition = Object.assign(new DefinitionEntity(), {
    id: randomUUID(),
    name: 'd',
    enabled: 1,
    version: 1,
    createdAt: 1,
    updatedAt: 1,
    spec: {
      name: 'd',
      mode: 'ASYNC',
      bindings: [{ source: 's', event: 'e' }],
      target: { urls: ['http://127.0.0.1:9'] },
    },
  });
  /** The rows one copy of trigger (source s, messageId) makes: each copy has its own ids. */
  const copy = (messageId: string) => {
    const triggerId = randomUUID();
    const plan = new GroupRunFactory({ insertTasks: async () => undefined }).plan(
      definition,
      { files: [{ name: 'f1', recordCount: 3 }, { name: 'f2' }] },
      triggerId,
      Date.now(),
    );
    const trigger = {
      id: triggerId,
      source: 's',
      messageId,
      event: 'e',
      businessDate: null,
      status: 'ACCEPTED',
      via: 'http',
      reason: null,
      payload: { messageId, note: 'a "quoted" \\ text' },
      answer: { triggerId },
      receivedAt: Date.now(),
    };
    return {
      trigger,
      plan,
      write: () =>
        db.run((em) =>
          pgInsertIfNew(em, { entity: TriggerEntity, rows: [trigger], conflict: ['source', 'message_id'] }, [
            { entity: GroupRunEntity, rows: [plan.group] },
            { entity: TaskRunEntity, rows: plan.tasks },
          ]),
        ),
    };
  };
  const count = (entity: typeof TriggerEntity | typeof GroupRunEntity | typeof TaskRunEntity) =>
    db.run((em) => em.getRepository(entity).count());

  it('writes the rows as TypeORM reads them back; a later copy writes nothing', async () => {
    const first = copy('m1');
    expect(await first.write()).toBe(true);
    const trigger = await db.run((em) => em.getRepository(TriggerEntity).findOneByOrFail({ id: first.trigger.id }));
    expect(trigger).toMatchObject({
      source: 's',
      messageId: 'm1',
      payload: first.trigger.payload,
      answer: first.trigger.answer,
      receivedAt: first.trigger.receivedAt,
    });
    const tasks = await db.run((em) =>
      em.getRepository(TaskRunEntity).find({ where: { groupRunId: first.plan.group.id }, order: { seq: 'ASC' } }),
    );
    expect(tasks.map((t) => [t.id, t.file, t.status, t.readyAt])).toEqual(
      first.plan.tasks.map((t) => [t.id, t.file, 'PENDING', t.readyAt]),
    );

    const before = await Promise.all([count(TriggerEntity), count(GroupRunEntity), count(TaskRunEntity)]);
    const again = copy('m1');
    expect(await again.write()).toBe(false);
    expect(await Promise.all([count(TriggerEntity), count(GroupRunEntity), count(TaskRunEntity)])).toEqual(before);
  });

  it('ten copies at once: exactly one writes', async () => {
    const copies = Array.from({ length: 10 }, () => copy('m2'));
    const wrote = await Promise.all(copies.map((c) => c.write()));
    expect(wrote.filter(Boolean)).toHaveLength(1);
    const winner = copies[wrote.indexOf(true)];
    expect(await db.run((em) => em.getRepository(TaskRunEntity).countBy({ groupRunId: winner.plan.group.id }))).toBe(2);
    expect(await db.run((em) => em.getRepository(GroupRunEntity).countBy({ triggerId: winner.trigger.id }))).toBe(1);
    expect(await db.run((em) => em.getRepository(TriggerEntity).countBy({ messageId: 'm2' }))).toBe(1);
  });
});

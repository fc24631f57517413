import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Db } from '#ferry/persistence';
import { GroupRunFactory } from '../../apps/scheduler/src/groups/group-run.factory.js';
import { RetentionPurger } from '../../apps/scheduler/src/maintenance/retention.js';
import {
  AlertEntity,
  DefinitionEntity,
  GroupRunEntity,
  openSchedulerDb,
  TaskEventEntity,
  TaskRunEntity,
  TriggerEntity,
} from '../../apps/scheduler/src/persistence/index.js';
import { sample } from '../support/metrics.js';
import { type SchedulerUnderTest, startTestScheduler } from '../support/scheduler.js';
import { definitionRow } from './support/definition-row.js';

jest.setTimeout(120_000);

const DAY = 86_400_000;

// FERRY_RETENTION_DAYS=30, two rows per batch (so several batches): what is older goes, batch by batch; a live run stays.
describe.each(['postgres', 'sqlite'] as const)('the retention purge on %s', (dbType) => {
  let s: SchedulerUnderTest;
  let db: Db;
  const definition = definitionRow('ASYNC', Date.now() - 400 * DAY);

  beforeAll(async () => {
    s = await startTestScheduler(dbType, {
      FERRY_RETENTION_DAYS: '30',
      FERRY_RETENTION_BATCH: '2',
      FERRY_RETENTION_SWEEP_MS: '3600000',
    });
    db = await openSchedulerDb(s.db.config);
    await db.run((em) => em.insert(DefinitionEntity, definition as object));
  });
  afterAll(async () => {
    await db?.close();
    await s?.close();
  });

  /** A group run of `files` tasks (each with an event) of a trigger, created `ageDays` ago, in `status`. */
  async function run(ageDays: number, status: 'RUNNING' | 'SUCCEEDED' | 'FAILED', files = 2) {
    const at = Date.now() - ageDays * DAY;
    const triggerId = randomUUID();
    const factory = s.handle.app.get(GroupRunFactory);
    const plan = factory.plan(
      definition,
      { files: Array.from({ length: files }, (_, i) => ({ name: `f${i}` })) },
      triggerId,
      at,
    );
    Object.assign(plan.group, { status, finishedAt: status === 'RUNNING' ? null : at });
    for (const t of plan.tasks) Object.assign(t, { status: status === 'RUNNING' ? 'PENDING' : status });
    await db.tx(async (em) => {
      await em.insert(TriggerEntity, <object>{
        id: triggerId,
        source: 's',
        messageId: triggerId,
        event: 'e',
        status: 'ACCEPTED',
        via: 'http',
        payload: {},
        receivedAt: at,
      });
      await factory.persist(em, plan);
      for (const t of plan.tasks)
        await em.insert(TaskEventEntity, {
          id: randomUUID(),
          taskRunId: t.id,
          toStatus: 'PENDING',
          actor: 'system',
          at,
        });
    });
    return { id: plan.group.id, triggerId, tasks: plan.tasks.map((t) => t.id) };
  }

  async function alert(ageDays: number, status: 'OPEN' | 'RESOLVED') {
    const at = Date.now() - ageDays * DAY;
    const id = randomUUID();
    await db.run((em) =>
      em.insert(AlertEntity, <object>{
        id,
        dedupKey: `k-${id}`,
        kind: 'FAILED',
        status,
        message: 'm',
        occurrences: 1,
        firstAt: at,
        lastAt: at,
        version: 1,
      }),
    );
    return id;
  }

  const exists = (entity: typeof GroupRunEntity | typeof TriggerEntity | typeof AlertEntity, id: string) =>
    db.run((em) => em.getRepository(entity).existsBy({ id }));
  const countTasks = (groupRunId: string) => db.run((em) => em.getRepository(TaskRunEntity).countBy({ groupRunId }));

  it('purges old finished runs with their tasks, events and triggers, and settled alerts; keeps the rest', async () => {
    const old = [await run(40, 'SUCCEEDED'), await run(50, 'FAILED'), await run(60, 'SUCCEEDED', 3)];
    const live = await run(100, 'RUNNING');
    const recent = await run(5, 'SUCCEEDED');
    const oldAlert = await alert(45, 'RESOLVED');
    const openAlert = await alert(45, 'OPEN');
    const newAlert = await alert(2, 'RESOLVED');

    const purged = await s.handle.app.get(RetentionPurger).runOnce();
    expect(purged).toEqual({ groupRuns: 3, taskRuns: 7, taskEvents: 7, triggers: 3, alerts: 1 });
    for (const r of old) {
      expect(await exists(GroupRunEntity, r.id)).toBe(false);
      expect(await exists(TriggerEntity, r.triggerId)).toBe(false);
      expect(await countTasks(r.id)).toBe(0);
    }
    expect(await db.run((em) => em.getRepository(TaskEventEntity).countBy({ taskRunId: old[2].tasks[0] }))).toBe(0);
    for (const r of [live, recent]) {
      expect(await exists(GroupRunEntity, r.id)).toBe(true);
      expect(await exists(TriggerEntity, r.triggerId)).toBe(true);
      expect(await countTasks(r.id)).toBe(2);
    }
    expect(await exists(AlertEntity, oldAlert)).toBe(false);
    expect(await exists(AlertEntity, openAlert)).toBe(true);
    expect(await exists(AlertEntity, newAlert)).toBe(true);

    const metrics = await s.handle.observability.obs.registry.metrics();
    expect(sample(metrics, 'ferry_scheduler_retention_purged_total', { kind: 'groupRuns' })).toBe(3);
    expect(sample(metrics, 'ferry_scheduler_retention_purged_total', { kind: 'taskEvents' })).toBe(7);
    expect(await s.handle.app.get(RetentionPurger).runOnce()).toEqual({
      groupRuns: 0,
      taskRuns: 0,
      taskEvents: 0,
      triggers: 0,
      alerts: 0,
    });
  });

  it('keeps everything with FERRY_RETENTION_DAYS=0', async () => {
    const old = await run(400, 'SUCCEEDED');
    const config = { ...s.config, retention: { ...s.config.retention, days: 0 } };
    const keeper = new RetentionPurger(db, config, s.handle.observability);
    expect(Object.values(await keeper.runOnce())).toEqual([0, 0, 0, 0, 0]);
    expect(await exists(GroupRunEntity, old.id)).toBe(true);
  });
});

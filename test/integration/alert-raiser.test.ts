import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OutboxStore } from '#ferry/outbox';
import type { Db } from '#ferry/persistence';
import { createTestDatabase, TEST_DB_TYPES, type TestDatabase } from '#ferry/testing';
import { AlertRaiser } from '../../apps/scheduler/src/alerts/alert-raiser.js';
import { AlertsService } from '../../apps/scheduler/src/alerts/alerts.service.js';
import {
  AlertEntity,
  DefinitionEntity,
  TaskRunEntity,
  openSchedulerDb,
} from '../../apps/scheduler/src/persistence/index.js';
import { definitionRow } from './support/definition-row.js';
import { schedulerParts } from './support/scheduler-parts.js';

// Group status changes from one recount are handled together (a statement for many runs): each run
// still gets exactly its own alerts, whichever runs share the batch.
describe.each(TEST_DB_TYPES)('alerts for group status changes on %s', (dbType) => {
  let database: TestDatabase;
  let db: Db;
  let alerts: AlertsService;
  let raiser: AlertRaiser;

  beforeAll(async () => {
    database = await createTestDatabase(dbType);
    db = await openSchedulerDb(database.config);
    alerts = new AlertsService(db, new OutboxStore(db, 'alert_outbox'), {
      alerts: {
        defaultChannels: [],
        silenceMs: 3_600_000,
        emailFrom: 'f@localhost',
        deliveryPollMs: 1000,
        deliveryTimeoutMs: 1000,
        deliveryMaxAttempts: 20,
      },
    });
    raiser = new AlertRaiser(db, alerts, schedulerParts(db).groups);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  /** A group run whose tasks (one per entry) ended as given (status, reconciliation status). */
  async function groupRun(
    ends: Array<[status: string, recon: string | null]>,
  ): Promise<{ id: string; taskIds: string[] }> {
    const now = Date.now();
    const definition = definitionRow('ASYNC', now);
    const plan = schedulerParts(db).factory.plan(
      definition,
      { files: ends.map((_, i) => ({ name: `f${i}` })) },
      null,
      now,
    );
    plan.tasks.forEach((t, i) =>
      Object.assign(t, {
        status: ends[i][0],
        reconStatus: ends[i][1],
        reconProblems: ends[i][1] === 'MISMATCH' ? ['received 10 but expected 9'] : null,
      }),
    );
    await db.tx(async (em) => {
      await em.insert(DefinitionEntity, definition as object);
      await schedulerParts(db).factory.persist(em, plan);
    });
    return { id: plan.group.id, taskIds: plan.tasks.map((t) => t.id) };
  }

  const alertsOf = (groupRunId: string) =>
    db.run((em) => em.getRepository(AlertEntity).find({ where: { groupRunId }, order: { kind: 'ASC' } }));

  it(
    'one batch: the mismatched run gets its alert (its first mismatched task), the clean one none, ' +
      'the failed one its first failed task, and earlier alerts of succeeded runs resolve',
    async () => {
      const clean = await groupRun([
        ['SUCCEEDED', 'OK'],
        ['SUCCEEDED', 'OK'],
      ]);
      const mismatched = await groupRun([
        ['SUCCEEDED', 'OK'],
        ['SUCCEEDED', 'MISMATCH'],
        ['SUCCEEDED', 'MISMATCH'],
      ]);
      const failed = await groupRun([
        ['SUCCEEDED', 'OK'],
        ['FAILED', null],
        ['FAILED', null],
      ]);
      const recovered = await groupRun([
        ['SUCCEEDED', 'OK'],
        ['SUCCEEDED', 'OK'],
      ]);
      await alerts.raise({ kind: 'FAILED', groupRunId: recovered.id, message: 'failed before its retry' });
      await alerts.raise({ kind: 'OVERDUE', groupRunId: clean.id, message: 'late' });

      // As GroupRecounter announces them after one recount: synchronously, one after another.
      for (const [g, status] of [
        [clean, 'SUCCEEDED'],
        [mismatched, 'SUCCEEDED'],
        [failed, 'FAILED'],
        [recovered, 'SUCCEEDED'],
      ] as const)
        raiser.onGroupStatus({ id: g.id, status });
      await new Promise((r) => setTimeout(r, 0));
      // taken together, at the end of that tick
      expect((raiser as unknown as { changes: unknown[] }).changes).toEqual([]);
      await raiser.settle();

      expect((await alertsOf(clean.id)).map((a) => [a.kind, a.status])).toEqual([['OVERDUE', 'RESOLVED']]);
      expect((await alertsOf(mismatched.id)).map((a) => [a.kind, a.status, a.taskRunId, a.message])).toEqual([
        ['RECONCILIATION_MISMATCH', 'OPEN', mismatched.taskIds[1], 'Task f1: received 10 but expected 9'],
      ]);
      expect((await alertsOf(failed.id)).map((a) => [a.kind, a.status, a.taskRunId])).toEqual([
        ['FAILED', 'OPEN', failed.taskIds[1]],
      ]);
      expect((await alertsOf(recovered.id)).map((a) => [a.kind, a.status])).toEqual([['FAILED', 'RESOLVED']]);
      // The tasks are as written: raising alerts reads, never moves them.
      expect(
        await db.run((em) => em.getRepository(TaskRunEntity).countBy({ groupRunId: failed.id, status: 'FAILED' })),
      ).toBe(2);
    },
  );
});

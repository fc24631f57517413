import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { OutboxStore } from '#ferry/outbox';
import type { Db } from '#ferry/persistence';
import { AuditLog } from '../../apps/scheduler/src/audit/audit-log.js';
import { GroupRunFactory } from '../../apps/scheduler/src/groups/group-run.factory.js';
import { RetentionPurger } from '../../apps/scheduler/src/maintenance/retention.js';
import {
  AlertEntity,
  AuditEventEntity,
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

  /** An audit event about an object, as an operator's move writes it. */
  async function audited(objectType: string, objectId: string) {
    const actor = { clientId: 'portal', subject: 'otto' };
    await db.tx((em) =>
      s.handle.app.get(AuditLog).record(em, { actor, action: `${objectType}.x`, objectType, objectId }),
    );
  }
  const auditCount = (objectType: string, objectId: string) =>
    db.run((em) => em.getRepository(AuditEventEntity).countBy({ objectType, objectId }));

  /** A notification of an alert in the alert outbox, in `state`, keyed as the alert service keys them. */
  async function notification(alertId: string, state: 'DELIVERED' | 'DEAD', n = 0) {
    const args = [randomUUID(), n, `${alertId}:1:${n}`, 'log', '', '{}', 1, 0, state, 0];
    const marks = args.map((_, i) => (dbType === 'postgres' ? `$${i + 1}` : '?')).join(', ');
    await db.run((em) =>
      em.query(
        `INSERT INTO alert_outbox (id, seq, msg_key, kind, url, payload, attempts, next_at, state, created_at) VALUES (${marks})`,
        args,
      ),
    );
  }
  const notifications = (alertId: string) =>
    db.run(async (em) => {
      const rows: Array<{ state: string }> = await em.query(
        `SELECT state FROM alert_outbox WHERE msg_key LIKE ${dbType === 'postgres' ? '$1' : '?'} ORDER BY state`,
        [`${alertId}:%`],
      );
      return rows.map((r) => r.state);
    });

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
    // What operators did to them: audit events about old and kept objects, and about a definition.
    for (const r of [old[0], old[2], live, recent]) {
      await audited('group-run', r.id);
      await audited('task-run', r.tasks[0]);
    }
    await audited('trigger', old[1].triggerId);
    await audited('alert', oldAlert);
    await audited('alert', openAlert);
    await audited('definition', definition.id);
    await notification(oldAlert, 'DELIVERED', 0);
    await notification(oldAlert, 'DELIVERED', 1);
    await notification(oldAlert, 'DEAD', 2);
    await notification(openAlert, 'DELIVERED');

    const purged = await s.handle.app.get(RetentionPurger).runOnce();
    expect(purged).toEqual({
      groupRuns: 3,
      taskRuns: 7,
      taskEvents: 7,
      triggers: 3,
      alerts: 1,
      auditEvents: 6,
      alertDeliveries: 2,
    });
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
    // The audit log goes with what it is about, and only with it.
    for (const r of [old[0], old[2]]) {
      expect(await auditCount('group-run', r.id)).toBe(0);
      expect(await auditCount('task-run', r.tasks[0])).toBe(0);
    }
    expect(await auditCount('trigger', old[1].triggerId)).toBe(0);
    expect(await auditCount('alert', oldAlert)).toBe(0);
    for (const r of [live, recent]) {
      expect(await auditCount('group-run', r.id)).toBe(1);
      expect(await auditCount('task-run', r.tasks[0])).toBe(1);
    }
    expect(await auditCount('alert', openAlert)).toBe(1);
    expect(await auditCount('definition', definition.id)).toBe(1);
    // A purged alert's delivered notifications go with it; a dead one stays for an operator, a kept alert's stay.
    expect(await notifications(oldAlert)).toEqual(['DEAD']);
    expect(await notifications(openAlert)).toEqual(['DELIVERED']);

    const metrics = await s.handle.observability.obs.registry.metrics();
    expect(sample(metrics, 'ferry_scheduler_retention_purged_total', { kind: 'groupRuns' })).toBe(3);
    expect(sample(metrics, 'ferry_scheduler_retention_purged_total', { kind: 'taskEvents' })).toBe(7);
    expect(sample(metrics, 'ferry_scheduler_retention_purged_total', { kind: 'auditEvents' })).toBe(6);
    expect(sample(metrics, 'ferry_scheduler_retention_purged_total', { kind: 'alertDeliveries' })).toBe(2);
    expect(Object.values(await s.handle.app.get(RetentionPurger).runOnce())).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('keeps everything with FERRY_RETENTION_DAYS=0', async () => {
    const old = await run(400, 'SUCCEEDED');
    const config = { ...s.config, retention: { ...s.config.retention, days: 0 } };
    const keeper = new RetentionPurger(db, config, s.handle.observability, s.handle.app.get(OutboxStore));
    expect(Object.values(await keeper.runOnce())).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(await exists(GroupRunEntity, old.id)).toBe(true);
  });
});

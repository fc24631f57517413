import { describe, expect, it } from '@jest/globals';
import type { Db } from '#ferry/persistence';
import type { Actor } from '../audit/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { DefinitionsService } from '../definitions/definitions.service.js';
import type { CreatedRuns } from '../groups/created-runs.js';
import type { GroupRecounter } from '../groups/group-recounter.js';
import type { GroupRunFactory } from '../groups/group-run.factory.js';
import type { TaskQueue } from '../queue/task-queue.js';
import type { TaskEngine } from '../tasks/task-engine.js';
import { RunsService } from './runs.service.js';

const actor: Actor = { clientId: 'portal', subject: 'user:otto' };
const task = {
  id: 't1',
  groupRunId: 'g1',
  seq: 0,
  file: { name: 'f' },
  status: 'PENDING',
  attempt: 1,
  maxAttempts: 3,
  dispatchId: null,
  targetUrl: null,
  downstreamJobId: null,
  readyAt: 1,
  dispatchedAt: null,
  nextAt: null,
  reportedAt: null,
  progress: null,
  reconciliation: null,
  reconStatus: null,
  reconProblems: null,
  lastError: null,
  overdue: 0,
  deadlineAt: null,
  version: 2,
  createdAt: 1,
  updatedAt: 2,
  finishedAt: null,
};

/** A retry whose task move committed, on a database that then fails the group's recount. */
function service(recount: () => Promise<unknown>) {
  const later: string[][] = [];
  const engine = {
    applyBatch: async (_items: unknown, within: (tx: unknown, outcomes: unknown[]) => Promise<void>) => {
      const outcomes = [{ answer: { type: 'applied' }, task }];
      await within({}, outcomes);
      return outcomes;
    },
  } as unknown as TaskEngine;
  const audit = { record: async () => undefined } as unknown as AuditLog;
  const recounter = { refresh: recount, refreshLater: (ids: string[]) => later.push(ids) } as unknown as GroupRecounter;
  const em = { getRepository: () => ({ findOneBy: async () => task, find: async () => [] }) };
  const db = { run: async (fn: (e: typeof em) => unknown) => fn(em) } as unknown as Db;
  const runs = new RunsService(
    db,
    engine,
    recounter,
    {} as DefinitionsService,
    {} as GroupRunFactory,
    {} as CreatedRuns,
    {} as TaskQueue,
    audit,
  );
  return { runs, later };
}

describe('RunsService.retryTask', () => {
  it('recounts the group before answering', async () => {
    const recounted: string[] = [];
    const { runs, later } = service(async () => recounted.push('g1'));
    expect(await runs.retryTask('t1', actor)).toMatchObject({ id: 't1', status: 'PENDING' });
    expect(recounted).toEqual(['g1']);
    expect(later).toEqual([]);
  });

  it('still answers the committed retry when the recount fails, and leaves the recount for later', async () => {
    const { runs, later } = service(async () => {
      throw new Error('connection lost');
    });
    expect(await runs.retryTask('t1', actor)).toMatchObject({ id: 't1', status: 'PENDING' });
    expect(later).toEqual([['g1']]);
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Db } from '#ferry/persistence';
import { openSchedulerDb, TriggerEntity } from '../../apps/scheduler/src/persistence/index.js';
import { type SchedulerUnderTest, startTestScheduler, triggerBody } from '../support/scheduler.js';

// Triggers written before payload summaries were kept (payload_summary null) are listed bounded too.
describe('the trigger list with triggers from before payload summaries', () => {
  let s: SchedulerUnderTest;
  let db: Db;

  beforeAll(async () => {
    s = await startTestScheduler('postgres');
    db = await openSchedulerDb(s.db.config);
  });
  afterAll(async () => {
    await db?.close();
    await s?.close();
  });

  it('summarises their payloads when listed, and answers them whole one by one', async () => {
    const payload = triggerBody('old', 50, 'm-old');
    const id = randomUUID();
    await db.run((em) =>
      em.insert(TriggerEntity, {
        id,
        source: payload.source,
        messageId: payload.messageId,
        event: payload.event,
        businessDate: payload.businessDate,
        status: 'UNMATCHED',
        reason: 'No definition is bound to this source and event',
        via: 'http',
        payload,
        answer: { triggerId: id, duplicate: false, groupRuns: [] },
        receivedAt: Date.now(),
        payloadSummary: null,
      }),
    );
    const [listed] = (await s.api('GET', '/triggers')).body.items;
    expect(listed).toMatchObject({ id, fileCount: 50, payloadTruncated: true, payload: { messageId: 'm-old' } });
    expect(listed.payload.files).toEqual(payload.files.slice(0, 10));
    expect((await s.api('GET', `/triggers/${id}`)).body).toMatchObject({ payload, payloadTruncated: false });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Audience, Scope } from '#ferry/contracts';
import { Db } from '#ferry/persistence';
import { devToken } from '#ferry/testing';
import { adminToken, type SchedulerUnderTest, startTestScheduler, triggerBody } from '../support/scheduler.js';

// Finding 9: the rate limit keys on the verified client, so a flood of forged tokens never reached it.
// Refused tokens now count against their address: past the limit, a token not accepted before is
// answered 429 without being verified (a token accepted before goes on working).
describe('a flood of refused tokens', () => {
  let s: SchedulerUnderTest;

  beforeAll(async () => {
    s = await startTestScheduler('sqlite', { FERRY_REFUSED_TOKENS_PER_MINUTE: '5' });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('gets 429 with Retry-After past the limit, valid tokens too, and writes nothing', async () => {
    const forged = devToken(Audience.scheduler, [Scope.triggersWrite], 'upstream-dev', 'not-the-secret');
    const trigger = triggerBody('flood', 1);
    const known = adminToken();
    expect((await s.api('GET', '/triggers', undefined, known)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await s.api('POST', '/triggers', trigger, forged)).status).toBe(401);
    const limited = await s.api('POST', '/triggers', trigger, forged);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // A new token from that address is held off unverified, an administrator's valid one too ...
    expect((await s.api('GET', '/triggers', undefined, adminToken())).status).toBe(429);
    // ... while a token it had accepted before goes on working.
    expect((await s.api('GET', '/triggers', undefined, known)).status).toBe(200);
    const db = s.handle.app.get(Db);
    expect(await db.run((em) => em.query('SELECT count(*) AS n FROM trigger_message'))).toEqual([{ n: 0 }]);
  });
});

describe('refused tokens under the limit', () => {
  let s: SchedulerUnderTest;

  beforeAll(async () => {
    s = await startTestScheduler('sqlite', { FERRY_REFUSED_TOKENS_PER_MINUTE: '5' });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('leave the address free: valid calls, however many, are not counted', async () => {
    const forged = devToken(Audience.scheduler, [Scope.adminRead], 'ferry-admin', 'not-the-secret');
    for (let i = 0; i < 4; i++) expect((await s.api('GET', '/stats', undefined, forged)).status).toBe(401);
    for (let i = 0; i < 20; i++) expect((await s.api('GET', '/stats')).status).toBe(200);
    const page = await s.api('GET', '/triggers');
    expect(page.status).toBe(200);
    expect(page.body.items).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Audience, Scope } from '#ferry/contracts';
import { devToken } from '#ferry/testing';
import { ScheduleFirer } from '../../apps/scheduler/src/schedules/schedule-firer.js';
import { definitionBody, type SchedulerUnderTest, startTestScheduler } from '../support/scheduler.js';
import { expectRefused, refusal } from '../support/security.js';

jest.setTimeout(120_000);

const readOnly = () => devToken(Audience.scheduler, [Scope.adminRead], 'ferry-admin');

const uk = (name: string, overrides: Record<string, unknown> = {}) => ({
  name,
  description: 'UK bank holidays',
  holidays: ['2026-12-25', '2026-12-28'],
  businessDays: [1, 2, 3, 4, 5],
  exclusions: [{ from: '23:30', to: '00:30' }],
  ...overrides,
});

/** A definition fired only by its schedule, excluding `calendar`. */
const scheduled = (name: string, calendar?: string) =>
  definitionBody(name, ['http://127.0.0.1:9'], {
    bindings: [],
    schedule: { cron: '0 30 6 * * *', timeZone: 'Europe/London', ...(calendar ? { calendar } : {}) },
  });

// Issue 14: calendars stored as data, edited like definitions (versions, audit); a schedule names one.
describe.each(['postgres', 'sqlite'] as const)('calendars (%s)', (dbType) => {
  let s: SchedulerUnderTest;

  beforeAll(async () => {
    s = await startTestScheduler(dbType);
  });
  afterAll(async () => {
    await s?.close();
  });

  const audit = async (name: string) =>
    (await s.api('GET', `/audit?objectType=calendar&objectId=${name}&limit=500`)).body.items as any[];

  it('creates, reads, lists, replaces with a version check and deletes, each change audited', async () => {
    const created = await s.api('PUT', '/calendars/uk-crud', uk('uk-crud'));
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      ...uk('uk-crud'),
      version: 1,
      createdAt: expect.any(String),
      updatedAt: created.body.createdAt,
    });
    expect((await s.api('GET', '/calendars/uk-crud', undefined, readOnly())).body).toEqual(created.body);

    const updated = await s.api('PUT', '/calendars/uk-crud', {
      ...uk('uk-crud', { businessDays: [1, 2, 3] }),
      version: 1,
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ businessDays: [1, 2, 3], version: 2, createdAt: created.body.createdAt });

    // The version read is no longer the current one: refused, nothing changes.
    const stale = await s.api('PUT', '/calendars/uk-crud', { ...uk('uk-crud', { holidays: [] }), version: 1 });
    expect(expectRefused(stale, 409, 'CONFLICT')).toMatch(/version 2, not 1/);
    expect((await s.api('GET', '/calendars/uk-crud')).body).toEqual(updated.body);

    // Without a version, whatever is there is replaced.
    const replaced = await s.api('PUT', '/calendars/uk-crud', { name: 'uk-crud' });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({
      name: 'uk-crud',
      version: 3,
      createdAt: created.body.createdAt,
      updatedAt: expect.any(String),
    });

    expect((await s.api('DELETE', '/calendars/uk-crud')).status).toBe(204);
    expectRefused(await s.api('GET', '/calendars/uk-crud'), 404, 'NOT_FOUND');
    expectRefused(await s.api('DELETE', '/calendars/uk-crud'), 404, 'NOT_FOUND');
    // A version for a calendar deleted meanwhile is a conflict, not a silent create.
    expectRefused(await s.api('PUT', '/calendars/uk-crud', { ...uk('uk-crud'), version: 3 }), 409, 'CONFLICT');

    const events = (await audit('uk-crud')).reverse();
    expect(events.map((e) => e.action)).toEqual([
      'calendar.create',
      'calendar.update',
      'calendar.update',
      'calendar.delete',
    ]);
    expect(events[0]).toMatchObject({ actor: expect.any(String), before: null, after: { version: 1 } });
    expect(events[1]).toMatchObject({ before: { version: 1, businessDays: [1, 2, 3, 4, 5] }, after: { version: 2 } });
    expect(events[3]).toMatchObject({ before: { name: 'uk-crud', version: 3 }, after: null });
  });

  it('lists newest first, page by page', async () => {
    for (const name of ['page-a', 'page-b', 'page-c'])
      expect((await s.api('PUT', `/calendars/${name}`, uk(name))).status).toBe(201);
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 10; page++) {
      const res = await s.api('GET', `/calendars?limit=2${cursor ? `&cursor=${cursor}` : ''}`, undefined, readOnly());
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((c: { name: string }) => c.name));
      if (!res.body.nextCursor) break;
      cursor = res.body.nextCursor;
    }
    const pages = seen.filter((n) => n.startsWith('page-'));
    expect(pages).toEqual(['page-c', 'page-b', 'page-a']);
    expect(new Set(seen).size).toBe(seen.length);
    expectRefused(await s.api('GET', '/calendars?cursor=nope'), 422, 'VALIDATION_FAILED');
    expectRefused(await s.api('GET', '/calendars?limit=501'), 422, 'VALIDATION_FAILED');
  });

  it('refuses bad calendars with 422 where the problem is, and stores nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ holidays: ['2026-02-30'] }, 'holidays[0]'],
      [{ holidays: ['2026-12-25', '25.12.2026'] }, 'holidays[1]'],
      [{ businessDays: [0] }, 'businessDays[0]'],
      [{ businessDays: [1, 8] }, 'businessDays[1]'],
      [{ businessDays: [] }, 'businessDays'],
      [{ exclusions: [{ from: '24:00', to: '01:00' }] }, 'exclusions[0].from'],
      [{ exclusions: [{ from: '22:00', to: '7:00' }] }, 'exclusions[0].to'],
      [{ exclusions: [{ from: '22:00' }] }, 'exclusions[0].to'],
      [
        {
          exclusions: [
            { from: '22:00', to: '23:00' },
            { from: '08:00', to: '08:00' },
          ],
        },
        'exclusions[1]',
      ],
      [{ name: 'Bad Name' }, 'name'],
      [{ timeZone: 'Europe/London' }, 'timeZone'],
    ];
    for (const [bad, path] of cases) {
      const res = await s.api('PUT', '/calendars/bad', { ...uk('bad'), ...bad });
      const { details } = refusal(res, 422, 'VALIDATION_FAILED');
      expect([bad, details.map((d) => d.path)]).toEqual([bad, expect.arrayContaining([path])]);
    }
    const other = refusal(await s.api('PUT', '/calendars/bad', uk('good')), 422, 'VALIDATION_FAILED');
    expect(other.details).toEqual([{ path: 'name', problem: 'must match the URL (bad)' }]);
    expectRefused(await s.api('GET', '/calendars/bad'), 404, 'NOT_FOUND');
    expect(await audit('bad')).toEqual([]);
    // Reading is not writing.
    expectRefused(await s.api('PUT', '/calendars/bad', uk('bad'), readOnly()), 403, 'FORBIDDEN');
  });

  it("refuses a definition naming no stored calendar, and a calendar's delete while a definition names it", async () => {
    const badCron = { ...scheduled('cal-user'), schedule: { cron: '0 30 25 * * *', timeZone: 'Europe/Londres' } };
    const bad = refusal(await s.api('POST', '/definitions', badCron), 422, 'VALIDATION_FAILED');
    expect(bad.details.map((d) => d.path).sort()).toEqual(['schedule.cron', 'schedule.timeZone']);
    const unknown = refusal(
      await s.api('POST', '/definitions', scheduled('cal-user', 'nowhere')),
      422,
      'VALIDATION_FAILED',
    );
    expect(unknown.details).toEqual([{ path: 'schedule.calendar', problem: 'names no stored calendar' }]);

    expect((await s.api('PUT', '/calendars/in-use', uk('in-use'))).status).toBe(201);
    // Another calendar whose name the first one's starts with: not "in use" by the definition.
    expect((await s.api('PUT', '/calendars/in-use-2', uk('in-use-2'))).status).toBe(201);
    const def = await s.api('POST', '/definitions', scheduled('cal-user', 'in-use'));
    expect(def.status).toBe(201);
    expect(def.body.schedule.calendar).toBe('in-use');

    const refused = await s.api('DELETE', '/calendars/in-use');
    expect(expectRefused(refused, 409, 'CONFLICT')).toMatch(/cal-user/);
    expect((await s.api('GET', '/calendars/in-use')).status).toBe(200);
    expect((await s.api('DELETE', '/calendars/in-use-2')).status).toBe(204);

    // Archived, the definition still names it: unarchived, it would fire with a calendar gone.
    expect((await s.api('POST', '/definitions/cal-user/archive')).status).toBe(200);
    expectRefused(await s.api('DELETE', '/calendars/in-use'), 409, 'CONFLICT');
    expect((await s.api('POST', '/definitions/cal-user/unarchive')).status).toBe(200);

    const changed = await s.api('PUT', '/definitions/cal-user', {
      ...scheduled('cal-user'),
      version: def.body.version,
    });
    expect(changed.status).toBe(200);
    expect((await s.api('DELETE', '/calendars/in-use')).status).toBe(204);
    expect((await audit('in-use')).map((e) => e.action)).toEqual(['calendar.delete', 'calendar.create']);
  });

  describe('a replaced calendar', () => {
    let t: SchedulerUnderTest;
    let now = Date.parse('2026-03-02T09:00:30Z'); // a Monday

    beforeAll(async () => {
      t = await startTestScheduler(dbType, {}, { overrides: { clock: () => now } });
      await t.handle.app.get(ScheduleFirer).onModuleDestroy(); // nothing fires: the test reads the clocks
    });
    afterAll(async () => {
      await t?.close();
    });

    const nextFireAt = async () => (await t.api('GET', '/definitions/retimed/schedule')).body.nextFireAt;
    const put = async (holidays: string[]) =>
      expect((await t.api('PUT', '/calendars/retime', { name: 'retime', holidays })).status).toBeLessThan(300);

    it('moves the next fire of the schedules naming it', async () => {
      await put([]);
      const schedule = { cron: '0 30 6 * * *', timeZone: 'Europe/London', calendar: 'retime' };
      const def = definitionBody('retimed', ['http://127.0.0.1:9'], { bindings: [], schedule });
      expect((await t.api('POST', '/definitions', def)).status).toBe(201);
      expect(await nextFireAt()).toBe('2026-03-03T06:30:00.000Z');

      await put(['2026-03-03']);
      expect(await nextFireAt()).toBe('2026-03-04T06:30:00.000Z');
      await put([]);
      expect(await nextFireAt()).toBe('2026-03-03T06:30:00.000Z');

      // Due and not yet fired (the loop is down): a fire the calendar now excludes is passed over...
      now = Date.parse('2026-03-03T07:00:00Z');
      await put(['2026-03-03']);
      expect(await nextFireAt()).toBe('2026-03-04T06:30:00.000Z');
      // ...and one it allows again, now past, stays past.
      await put([]);
      expect(await nextFireAt()).toBe('2026-03-04T06:30:00.000Z');
      // A due fire the calendar still allows is left to the fire loop.
      now = Date.parse('2026-03-04T08:00:00Z');
      await put(['2026-03-10']);
      expect(await nextFireAt()).toBe('2026-03-04T06:30:00.000Z');
    });
  });

  describe('the schedule preview', () => {
    const preview = (body: unknown) => s.api('POST', '/schedules/preview', body, readOnly());
    const at1_30 = { cron: '0 30 1 * * *', timeZone: 'Europe/London' };

    it('fires across spring-forward in Europe/London, once, and leaves out a holiday of the calendar', async () => {
      const calendar = { name: 'uk-spring', holidays: ['2026-03-30'], businessDays: [1, 2, 3, 4, 5, 6, 7] };
      expect((await s.api('PUT', '/calendars/uk-spring', calendar)).status).toBe(201);
      const res = await preview({
        schedule: { ...at1_30, calendar: 'uk-spring' },
        from: '2026-03-27T00:00:00Z',
        count: 5,
      });
      expect(res.status).toBe(200);
      expect(res.body.fires).toEqual([
        { at: '2026-03-27T01:30:00.000Z', local: '2026-03-27 01:30:00', businessDate: '2026-03-27' },
        { at: '2026-03-28T01:30:00.000Z', local: '2026-03-28 01:30:00', businessDate: '2026-03-28' },
        // 01:30 does not exist on the 29th (01:00 GMT is 02:00 BST): the first instant after the gap.
        { at: '2026-03-29T01:00:00.000Z', local: '2026-03-29 02:00:00', businessDate: '2026-03-29' },
        // The 30th is a holiday.
        { at: '2026-03-31T00:30:00.000Z', local: '2026-03-31 01:30:00', businessDate: '2026-03-31' },
        { at: '2026-04-01T00:30:00.000Z', local: '2026-04-01 01:30:00', businessDate: '2026-04-01' },
      ]);

      // The business date may be the previous business day: the holiday and the weekend are passed over.
      const weekdays = { name: 'uk-weekdays', holidays: ['2026-03-30'] };
      expect((await s.api('PUT', '/calendars/uk-weekdays', weekdays)).status).toBe(201);
      const previous = await preview({
        schedule: { ...at1_30, businessDate: 'PREVIOUS_BUSINESS_DAY', calendar: 'uk-weekdays' },
        from: '2026-03-27T00:00:00Z',
        count: 2,
      });
      expect(
        previous.body.fires.map((f: { local: string; businessDate: string }) => [f.local, f.businessDate]),
      ).toEqual([
        ['2026-03-27 01:30:00', '2026-03-26'],
        ['2026-03-31 01:30:00', '2026-03-27'],
      ]);
    });

    it('fires once, not twice, on the fall-back day, and includes `from` itself', async () => {
      const res = await preview({ schedule: at1_30, from: '2026-10-24T00:30:00Z', count: 3 });
      expect(res.body.fires).toEqual([
        { at: '2026-10-24T00:30:00.000Z', local: '2026-10-24 01:30:00', businessDate: '2026-10-24' },
        // 01:30 comes twice on the 25th (BST, then GMT): only the first.
        { at: '2026-10-25T00:30:00.000Z', local: '2026-10-25 01:30:00', businessDate: '2026-10-25' },
        { at: '2026-10-26T01:30:00.000Z', local: '2026-10-26 01:30:00', businessDate: '2026-10-26' },
      ]);
    });

    it('counts 10 fires from now by default', async () => {
      const before = Date.now();
      const res = await preview({ schedule: { everySeconds: 3600 } });
      const after = Date.now();
      expect(res.body.fires).toHaveLength(10);
      const first = Date.parse(res.body.fires[0].at);
      // The first whole hour at or after the moment the scheduler answered.
      expect(first % 3_600_000).toBe(0);
      expect(first).toBeGreaterThanOrEqual(before);
      expect(first).toBeLessThan(after + 3_600_000);
      expect(Date.parse(res.body.fires[9].at) - first).toBe(9 * 3_600_000);
    });

    it('refuses a schedule it cannot compute with 422 where the problem is', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ schedule: { cron: 'every day at noon' } }, 'schedule.cron'],
        [{ schedule: { ...at1_30, timeZone: 'Mars/Olympus' } }, 'schedule.timeZone'],
        [{ schedule: { ...at1_30, calendar: 'nowhere' } }, 'schedule.calendar'],
        [{ schedule: at1_30, count: 51 }, 'count'],
        [{ schedule: at1_30, count: 0 }, 'count'],
        [{ schedule: at1_30, from: 'tomorrow' }, 'from'],
        [{ schedule: { ...at1_30, everySeconds: 60 } }, 'schedule'],
        [{ cron: '0 * * * *' }, 'schedule'],
      ];
      for (const [bad, path] of cases) {
        const { details } = refusal(await preview(bad), 422, 'VALIDATION_FAILED');
        expect([bad, details.map((d) => d.path)]).toEqual([bad, expect.arrayContaining([path])]);
      }
    });
  });
});

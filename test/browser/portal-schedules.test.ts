import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { FakeDownstream } from '#ferry/testing';
import { launchPortalBrowser, logIn, type PortalBrowser, screenshot, seriousViolations } from '../support/browser.js';
import { definitionBody, eventually, startTestScheduler, type SchedulerUnderTest } from '../support/scheduler.js';

// Issue 14 in the portal, in Chromium against a real scheduler on PostgreSQL: an admin makes a calendar and a
// scheduled definition naming it, previews its fires, pauses and resumes its schedule; a viewer only reads.
const PASSWORD = 'correct-horse-battery-staple';
// Never called: the schedule fires at 06:00 Paris time on business days, and nothing here waits for that.
const TARGET = 'http://127.0.0.1:9/files';

describe("the portal's schedules, calendars and dependencies", () => {
  let s: SchedulerUnderTest;
  let b: PortalBrowser;
  let page: Page;
  let errors: string[];

  /** Waits for the page's heading and for nothing to be loading, then screenshots it and runs axe-core. */
  const check = async (p: Page, heading: string, shot: string) => {
    await p.getByRole('heading', { level: 1, name: heading }).waitFor();
    await p.waitForFunction(() => !(globalThis as any).document.querySelector('[aria-busy="true"]'));
    await screenshot(p, shot);
    expect(await seriousViolations(p)).toEqual([]);
  };
  /** The browser logs a refused request as a console error: expected ones are dropped, others stay. */
  const expectRefused = (status: number) => {
    const i = errors.findIndex((e) => e.includes(`status of ${status}`));
    expect(i).toBeGreaterThanOrEqual(0);
    errors.splice(i, 1);
  };

  beforeAll(async () => {
    [s, b] = await Promise.all([startTestScheduler('postgres'), launchPortalBrowser()]);
    for (const [username, role] of [
      ['ada', 'admin'],
      ['victor', 'viewer'],
    ])
      expect((await s.api('POST', '/users', { username, role, password: PASSWORD })).status).toBe(201);
    expect((await s.api('POST', '/definitions', definitionBody('ledger', [TARGET]))).status).toBe(201);
    ({ page, errors } = await b.open());
    await logIn(page, s.handle.url, 'ada', PASSWORD, errors);
  });
  afterAll(async () => {
    await b?.close();
    await s?.close();
  });

  it('lets an admin create a calendar: business days, a holiday and an excluded window', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Calendars' }).click();
    await check(page, 'Calendars', 'calendars-empty');
    await page.getByRole('button', { name: 'New calendar' }).click();
    await page.getByRole('heading', { level: 1, name: 'New calendar' }).waitFor();
    await page.getByLabel(/^Name/).fill('paris-business');
    await page.getByLabel('Description').fill('Paris office days');
    await page.getByLabel('Fri', { exact: true }).uncheck();
    await page.getByRole('button', { name: 'Add a holiday' }).click();
    await page.getByLabel('Holiday 1').fill('2026-12-25');
    await page.getByRole('button', { name: 'Add a window' }).click();
    await page.getByLabel('Window 1 from').fill('12:00');
    await page.getByLabel('Window 1 to').fill('13:00');
    await page.getByRole('button', { name: 'Create' }).click();
    await check(page, 'Calendar', 'calendar-form');
    expect((await s.api('GET', '/calendars/paris-business')).body).toMatchObject({
      description: 'Paris office days',
      businessDays: [1, 2, 3, 4],
      holidays: ['2026-12-25'],
      exclusions: [{ from: '12:00', to: '13:00' }],
      version: 1,
    });

    await page.goto(`${s.handle.url}/portal/calendars`);
    await check(page, 'Calendars', 'calendars');
    const row = page.getByTestId('calendar-paris-business');
    await expect(row.getByRole('cell').nth(1).textContent()).resolves.toBe('Mon Tue Wed Thu');
  });

  it('creates a scheduled definition naming the calendar, after previewing its next 10 fires', async () => {
    await page.goto(`${s.handle.url}/portal/definitions/new`);
    await page.getByRole('heading', { level: 1, name: 'New definition' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('nightly-close');
    await page.getByLabel('Target URLs (separated by commas)').fill(TARGET);
    await page.getByLabel(/^Fires/).selectOption('cron');
    const cron = page.getByLabel(/^Cron/);
    await cron.fill('61 6 * * *');
    await page.getByLabel('Time zone (IANA)').fill('Europe/Paris');
    await page.getByLabel(/^Calendar/).selectOption('paris-business');
    await page.getByLabel(/^Overlap/).selectOption('SKIP');
    await page.getByRole('button', { name: 'Add an upstream' }).click();
    await page.getByLabel('Upstream definition 1').fill('ledger');

    // A cron the API cannot parse: its 422 details, and no list.
    await page.getByRole('button', { name: 'Preview next 10 fires' }).click();
    await page
      .getByRole('list', { name: 'Preview problems' })
      .getByText(/schedule\.cron/)
      .waitFor();
    await expect(page.getByRole('list', { name: 'Next fires' }).count()).resolves.toBe(0);
    expectRefused(422);

    await cron.fill('0 6 * * *');
    await page.getByRole('button', { name: 'Preview next 10 fires' }).click();
    const fires = page.getByRole('list', { name: 'Next fires' }).getByRole('listitem');
    await fires.first().waitFor();
    await expect(fires.count()).resolves.toBe(10);
    // 06:00 in Paris on the calendar's business days (Monday to Thursday) only.
    const texts = await fires.allTextContents();
    for (const t of texts)
      expect(t).toMatch(/\(\d{4}-\d\d-\d\d 06:00:00 in its zone · business date \d{4}-\d\d-\d\d\)/);
    const weekdays = texts.map((t) => new Date(`${/(\d{4}-\d\d-\d\d) 06:00/.exec(t)![1]}T12:00:00Z`).getUTCDay());
    expect(weekdays.every((d) => d >= 1 && d <= 4)).toBe(true);
    await screenshot(page, 'definition-schedule-preview');

    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { level: 2, name: 'Schedule' }).waitFor();
    const stored = (await s.api('GET', '/definitions/nightly-close')).body;
    expect(stored).toMatchObject({
      bindings: [],
      schedule: { cron: '0 6 * * *', timeZone: 'Europe/Paris', calendar: 'paris-business', overlap: 'SKIP' },
      dependsOn: [{ definition: 'ledger', policy: 'ONCE_PER_DATE' }],
    });
    // The list says what starts it: no message, its schedule and its upstream.
    await page.goto(`${s.handle.url}/portal/definitions`);
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'nightly-close', exact: true }) });
    await expect(row.getByRole('cell').nth(2).textContent()).resolves.toBe('cron 0 6 * * *, after ledger');
  });

  it("shows the definition's next fire and dependencies, and pauses and resumes its schedule", async () => {
    await page.goto(`${s.handle.url}/portal/definitions/nightly-close`);
    await check(page, 'Definition', 'definition-schedule');
    // The form starts on the stored schedule: saving it unchanged keeps the calendar.
    await expect(page.getByLabel(/^Calendar/).inputValue()).resolves.toBe('paris-business');
    await expect(page.getByLabel(/^Cron/).inputValue()).resolves.toBe('0 6 * * *');
    const state = (await s.api('GET', '/definitions/nightly-close/schedule')).body;
    expect(state.nextFireAt).toEqual(expect.any(String));
    // The next fire in the operator's zone (the browser's, Europe/Paris here) with its business date.
    const next = page.getByTestId('next-fire');
    const local = await page.evaluate(
      (iso) =>
        new Intl.DateTimeFormat(undefined, {
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
        }).format(new Date(iso)),
      state.nextFireAt as string,
    );
    await next.getByText(local).waitFor();
    await expect(next.textContent()).resolves.toMatch(/business date \d{4}-\d\d-\d\d; \S+ 06:00:00 Europe\/Paris/);
    const deps = page.getByRole('region', { name: 'Dependencies' });
    await deps.getByRole('list', { name: 'Upstreams' }).getByRole('link', { name: 'ledger' }).waitFor();

    await page.getByRole('button', { name: 'Pause schedule' }).click();
    await page.getByRole('dialog', { name: 'Pause schedule' }).getByRole('button', { name: 'Confirm' }).click();
    await next.getByText(/Paused since/).waitFor();
    expect((await s.api('GET', '/definitions/nightly-close/schedule')).body.pausedAt).toEqual(expect.any(String));
    await screenshot(page, 'definition-schedule-paused');

    await page.getByRole('button', { name: 'Resume schedule' }).click();
    await page.getByRole('dialog', { name: 'Resume schedule' }).getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('button', { name: 'Pause schedule' }).waitFor();
    await expect(next.getByText(/Paused since/).count()).resolves.toBe(0);
    expect((await s.api('GET', '/definitions/nightly-close/schedule')).body.pausedAt).toBeNull();

    // The upstream's page names its dependant.
    await deps.getByRole('link', { name: 'ledger' }).click();
    await page
      .getByRole('region', { name: 'Dependencies' })
      .getByRole('list', { name: 'Dependants' })
      .getByRole('link', { name: 'nightly-close' })
      .waitFor();
  });

  it("lists a schedule's latest fires: the accepted one links to its run, a skipped one says why", async () => {
    const parked = await new FakeDownstream({ behaviour: 'manual' }).start();
    try {
      // Every second, and the first run never ends: the fires after it are SKIPPED (overlap SKIP).
      const body = definitionBody('heartbeat', [parked.url], {
        bindings: [],
        schedule: { everySeconds: 1, overlap: 'SKIP' },
      });
      expect((await s.api('POST', '/definitions', body)).status).toBe(201);
      await eventually(
        async () => {
          const fires = (await s.api('GET', '/definitions/heartbeat/schedule')).body.fires as any[];
          return fires.some((f) => f.status === 'SKIPPED') && fires.some((f) => f.status === 'ACCEPTED');
        },
        20_000,
        'an accepted and a skipped fire',
      );
      expect((await s.api('POST', '/definitions/heartbeat/schedule/pause')).status).toBe(200);
      const { fires } = (await s.api('GET', '/definitions/heartbeat/schedule')).body;
      const accepted = fires.find((f: any) => f.status === 'ACCEPTED');
      const skipped = fires.find((f: any) => f.status === 'SKIPPED');
      expect(skipped.reason).toEqual(expect.any(String));

      await page.goto(`${s.handle.url}/portal/definitions/heartbeat`);
      const table = page.getByRole('table', { name: 'Latest fires' });
      await table.waitFor();
      await expect(table.locator('tbody tr').count()).resolves.toBe(fires.length);
      await table.getByText(skipped.reason).first().waitFor();
      await check(page, 'Definition', 'definition-schedule-fires');
      await table.getByRole('link', { name: /^heartbeat run/ }).click();
      await page.getByRole('heading', { level: 1, name: 'Group run' }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/portal/group-runs/${accepted.answer.groupRuns[0].id}`);
    } finally {
      await parked.close();
    }
  });

  it('refuses to delete a calendar a schedule names, with the API’s reason', async () => {
    await page.goto(`${s.handle.url}/portal/calendars`);
    await page.getByRole('button', { name: 'Delete paris-business' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete paris-business' });
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog
      .getByRole('alert')
      .getByText(/^CONFLICT: .*nightly-close/)
      .waitFor();
    expectRefused(409);
    expect((await s.api('GET', '/calendars/paris-business')).status).toBe(200);
  });

  it('shows a viewer the schedule and the calendars with no button to change them', async () => {
    const viewer = await b.open();
    await logIn(viewer.page, s.handle.url, 'victor', PASSWORD, viewer.errors);
    const p = viewer.page;
    await p.goto(`${s.handle.url}/portal/definitions/nightly-close`);
    await p.getByRole('heading', { level: 2, name: 'Schedule' }).waitFor();
    await p
      .getByTestId('next-fire')
      .getByText(/Next fire/)
      .waitFor();
    await expect(p.getByRole('button', { name: /schedule$/ }).count()).resolves.toBe(0);
    await p.goto(`${s.handle.url}/portal/calendars`);
    await p.getByRole('link', { name: 'paris-business' }).waitFor();
    await expect(p.getByRole('button', { name: /calendar|Delete/ }).count()).resolves.toBe(0);
    expect(viewer.errors).toEqual([]);
    await viewer.context.close();
  });

  it('logged no console error', () => {
    expect(errors).toEqual([]);
  });
});

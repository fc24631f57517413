import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { FakeDownstream } from '#ferry/testing';
import { launchPortalBrowser, logIn, type PortalBrowser, screenshot, seriousViolations } from '../support/browser.js';
import {
  definitionBody,
  defineAndTrigger,
  eventually,
  startTestScheduler,
  type SchedulerUnderTest,
  triggerBody,
  triggerToken,
  waitForGroup,
} from '../support/scheduler.js';

// The portal's pages on the admin API's issue-13 routes, in Chromium against a real scheduler on PostgreSQL:
// an operator reruns a failed group and marks a failed file succeeded, an admin reads a definition's diff.
const PASSWORD = 'correct-horse-battery-staple';

describe("the portal's operator moves and history pages", () => {
  let s: SchedulerUnderTest;
  let b: PortalBrowser;
  let flaky: FakeDownstream;
  let page: Page;
  let errors: string[];
  let rerunGroup: string;
  let markGroup: string;

  /** Waits for the page's heading and for nothing to be loading, then screenshots it and runs axe-core. */
  const check = async (p: Page, heading: string, shot: string) => {
    await p.getByRole('heading', { level: 1, name: heading }).waitFor();
    await p.waitForFunction(() => !(globalThis as any).document.querySelector('[aria-busy="true"]'));
    await screenshot(p, shot);
    expect(await seriousViolations(p)).toEqual([]);
  };

  beforeAll(async () => {
    [s, b, flaky] = await Promise.all([
      startTestScheduler('postgres'),
      launchPortalBrowser(),
      new FakeDownstream({ behaviour: 'fail' }).start(),
    ]);
    for (const [username, role] of [
      ['otto', 'operator'],
      ['ada', 'admin'],
    ])
      expect((await s.api('POST', '/users', { username, role, password: PASSWORD })).status).toBe(201);
    const once = { retry: { maxAttempts: 1, initialDelaySeconds: 0.05, factor: 2, maxDelaySeconds: 1 } };
    [rerunGroup, markGroup] = await Promise.all([
      defineAndTrigger(s, 'ledger', flaky.url, 2, once),
      defineAndTrigger(s, 'payroll', flaky.url, 1, once),
    ]);
    await Promise.all([waitForGroup(s, rerunGroup, 'FAILED'), waitForGroup(s, markGroup, 'FAILED')]);
    ({ page, errors } = await b.open());
    await logIn(page, s.handle.url, 'otto', PASSWORD, errors);
  });
  afterAll(async () => {
    await b?.close();
    await flaky?.close();
    await s?.close();
  });

  it('marks a failed task succeeded with a reason, after a confirmation', async () => {
    await page.goto(`${s.handle.url}/portal/group-runs/${markGroup}`);
    await page.getByTestId('task-f-0.ndjson').getByText('FAILED', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Mark f-0.ndjson succeeded' }).click();
    const dialog = page.getByRole('dialog', { name: 'Mark f-0.ndjson succeeded' });
    await dialog.getByLabel(/Reason/).fill('loaded by hand from the archive copy');
    await screenshot(page, 'mark-succeeded-dialog');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('task-f-0.ndjson').getByText('SUCCEEDED', { exact: true }).waitFor({ timeout: 15_000 });
    const group = (await s.api('GET', `/group-runs/${markGroup}`)).body;
    const task = (await s.api('GET', `/task-runs/${group.tasks[0].id}`)).body;
    expect(task.status).toBe('SUCCEEDED');
    expect(task.events.at(-1)).toMatchObject({ to: 'SUCCEEDED', actor: 'operator' });
    expect(JSON.stringify(task.events.at(-1))).toContain('loaded by hand from the archive copy');
  });

  it('reruns a failed group from its first failed task and shows it reach SUCCEEDED', async () => {
    flaky.options.behaviour = 'succeed';
    await page.goto(`${s.handle.url}/portal/group-runs/${rerunGroup}`);
    await page.getByTestId('group-status').getByText('Status: FAILED').waitFor();
    await page.getByRole('button', { name: 'Rerun from the first failed' }).click();
    await page
      .getByRole('dialog', { name: 'Rerun from the first failed' })
      .getByRole('button', { name: 'Confirm' })
      .click();
    await page.getByTestId('group-status').getByText('Status: SUCCEEDED').waitFor({ timeout: 20_000 });
    const group = (await s.api('GET', `/group-runs/${rerunGroup}`)).body;
    expect(group.tasks.map((t: any) => t.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });

  it('lists task runs of every group, filtered by definition, accessible', async () => {
    await page.goto(`${s.handle.url}/portal/`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Task runs' }).click();
    await check(page, 'Task runs', 'task-runs');
    await expect(page.locator('tbody tr').count()).resolves.toBe(3);
    await page.getByLabel('Definition').fill('payroll');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('tbody tr').nth(1).waitFor({ state: 'detached' });
    await expect(
      page.locator('tbody tr').first().getByRole('link', { name: 'f-0.ndjson', exact: true }).isVisible(),
    ).resolves.toBe(true);
  });

  it("shows a definition's versions and the diff after an edit, accessible", async () => {
    const admin = await b.open();
    await logIn(admin.page, s.handle.url, 'ada', PASSWORD, admin.errors);
    const p = admin.page;
    const ledger = (await s.api('GET', '/definitions/ledger')).body;
    await p.goto(`${s.handle.url}/portal/definitions/${ledger.id}`);
    await p.getByRole('heading', { level: 1, name: 'Definition' }).waitFor();
    await p.getByLabel('Poll interval (s)').fill('0.7');
    await p.getByRole('button', { name: 'Save' }).click();
    await p.getByText(`Saved as version ${ledger.version + 1}.`).waitFor();
    await p.getByRole('link', { name: 'Its history' }).click();
    await check(p, 'Definition history', 'definition-history');
    const change = p.getByTestId('change-pollIntervalSeconds');
    await expect(change.getByRole('cell').allTextContents()).resolves.toEqual(['pollIntervalSeconds', '0.3', '0.7']);
    await expect(p.locator('tbody tr[data-testid^="change-"]').count()).resolves.toBe(1);
    expect(admin.errors).toEqual([]);
    await admin.context.close();
  });

  it('lets an admin archive a definition, and shows an operator no archive button', async () => {
    await page.goto(`${s.handle.url}/portal/definitions`);
    await page.getByRole('link', { name: 'payroll', exact: true }).waitFor();
    await expect(page.getByRole('button', { name: /Archive/ }).count()).resolves.toBe(0);
    const admin = await b.open();
    await logIn(admin.page, s.handle.url, 'ada', PASSWORD, admin.errors);
    await admin.page.goto(`${s.handle.url}/portal/definitions`);
    await admin.page.getByRole('button', { name: 'Archive payroll' }).click();
    await admin.page.getByRole('dialog', { name: 'Archive payroll' }).getByRole('button', { name: 'Confirm' }).click();
    await admin.page.getByRole('link', { name: 'payroll', exact: true }).waitFor({ state: 'detached' });
    expect((await s.api('GET', '/definitions/payroll')).body.archivedAt).toEqual(expect.any(String));
    expect(admin.errors).toEqual([]);
    await admin.context.close();
  });

  it('silences an alert and un-acknowledges it, then replays its unmatched trigger once a definition binds it', async () => {
    const sent = await s.api('POST', '/triggers', triggerBody('invoices', 1, 'm-unmatched-1'), triggerToken());
    expect(sent.status).toBe(202);
    const alert = await eventually(async () => {
      const r = await s.api('GET', '/alerts?status=OPEN');
      return r.body.items.find((a: any) => a.kind === 'UNMATCHED_TRIGGER');
    });
    await page.goto(`${s.handle.url}/portal/alerts`);
    const row = page.getByTestId(`alert-${alert.id}`);
    await row.getByRole('button', { name: /^Silence/ }).click();
    const silence = page.getByRole('dialog', { name: /^Silence/ });
    await silence.getByLabel(/Minutes/).fill('30');
    await silence.getByLabel(/Comment/).fill('billing adds the invoices definition this afternoon');
    await silence.getByRole('button', { name: 'Confirm' }).click();
    await row.getByText(/silenced until/).waitFor();
    expect((await s.api('POST', `/alerts/${alert.id}/ack`, {})).status).toBe(200);
    await page.getByLabel('Status').selectOption('ACKNOWLEDGED');
    await row.getByRole('button', { name: /^Un-acknowledge/ }).click();
    const unack = page.getByRole('dialog', { name: /^Un-acknowledge/ });
    await unack.getByLabel(/Comment/).fill('not fixed after all');
    await unack.getByRole('button', { name: 'Confirm' }).click();
    await row.waitFor({ state: 'detached' });
    const after = (await s.api('GET', '/alerts?status=OPEN')).body.items.find((a: any) => a.id === alert.id);
    expect(after.comments.map((c: any) => [c.action, c.text])).toEqual([
      ['SILENCE', 'billing adds the invoices definition this afternoon'],
      ['UNACK', 'not fixed after all'],
    ]);

    expect((await s.api('POST', '/definitions', definitionBody('invoices', [flaky.url]))).status).toBe(201);
    await page.goto(`${s.handle.url}/portal/triggers`);
    await page.getByRole('button', { name: /^Replay .* m-unmatched-1$/ }).click();
    await page
      .getByRole('dialog', { name: /^Replay .* m-unmatched-1$/ })
      .getByRole('button', { name: 'Confirm' })
      .click();
    await page.getByRole('link', { name: 'invoices' }).first().waitFor();
    await expect(page.getByRole('button', { name: /^Replay .* m-unmatched-1$/ }).count()).resolves.toBe(0);
    const trigger = (await s.api('GET', `/triggers/${alert.triggerId}`)).body;
    expect(trigger).toMatchObject({ status: 'UNMATCHED', replayedAt: expect.any(String) });
    expect(trigger.replay.groupRuns).toHaveLength(1);
  });

  it('pages the files of a group of more than 100', async () => {
    const parked = await new FakeDownstream({ behaviour: 'manual' }).start();
    try {
      // SYNC: one file at a time, and the downstream never finishes the first: 101 files, one dispatched.
      const big = await defineAndTrigger(s, 'archive-sweep', parked.url, 101, { mode: 'SYNC' });
      await page.goto(`${s.handle.url}/portal/group-runs/${big}`);
      const files = page.locator('section', { has: page.getByRole('heading', { name: 'Files' }) });
      await files.getByTestId('task-f-99.ndjson').waitFor();
      await expect(files.locator('tbody tr').count()).resolves.toBe(100);
      await files.getByRole('button', { name: 'Next page' }).click();
      await files.getByTestId('task-f-100.ndjson').waitFor();
      await expect(files.locator('tbody tr').count()).resolves.toBe(1);
      await expect(files.getByRole('button', { name: 'Next page' }).isDisabled()).resolves.toBe(true);
      await expect(files.getByRole('button', { name: 'First page' }).isEnabled()).resolves.toBe(true);
    } finally {
      await parked.close();
    }
  });

  it("counts today's group and task runs by state on the overview, from the runs of that business date only", async () => {
    // Today in the browser's zone, as the portal reads it; every other run of this suite is for 2026-11-24.
    const today = await page.evaluate(() => new Date().toLocaleDateString('en-CA'));
    const ok = await new FakeDownstream().start(); // not flaky.url: its breaker is open by now
    try {
      expect((await s.api('POST', '/definitions', definitionBody('daily-close', [ok.url]))).status).toBe(201);
      const body = { ...triggerBody('daily-close', 3), businessDate: today };
      const posted = await s.api('POST', '/triggers', body, triggerToken());
      await waitForGroup(s, posted.body.groupRuns[0].id, 'SUCCEEDED');
    } finally {
      await ok.close();
    }
    await page.goto(`${s.handle.url}/portal/`);
    await check(page, 'Overview', 'overview-today');
    await expect(page.getByTestId('count-SUCCEEDED').textContent()).resolves.toBe('1');
    await expect(page.getByTestId('task-count-SUCCEEDED').textContent()).resolves.toBe('3');
    await expect(page.locator('[data-testid^="count-"]').count()).resolves.toBe(1);
    await expect(page.locator('[data-testid^="task-count-"]').count()).resolves.toBe(1);
    // A state leads to that day's list of runs in it.
    await page.getByRole('article', { name: "Today's task runs by state" }).getByRole('link').click();
    await check(page, 'Task runs', 'task-runs-today');
    await expect(page.locator('tbody tr').count()).resolves.toBe(3);
  });

  it('logged no console error', () => {
    expect(errors).toEqual([]);
  });
});

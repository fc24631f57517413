import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { FakeDownstream } from '#ferry/testing';
import { launchPortalBrowser, type PortalBrowser, screenshot, seriousViolations, logIn } from '../support/browser.js';
import {
  defineAndTrigger,
  eventually,
  startTestScheduler,
  type SchedulerUnderTest,
  waitForGroup,
} from '../support/scheduler.js';

// An operator's day in the portal, in Chromium against a real scheduler on PostgreSQL and a fake downstream:
// logged in through the login page (the session cookie and CSRF token, as a person's browser has them).
const PASSWORD = 'correct-horse-battery-staple';

describe('the operators portal', () => {
  let s: SchedulerUnderTest;
  let b: PortalBrowser;
  let slow: FakeDownstream;
  let flaky: FakeDownstream;
  let page: Page;
  let errors: string[];
  let okGroup: string;
  let failedGroup: string;
  const seen = new Set<string>();

  /** Opens a portal path, waits for its heading, saves its screenshot and checks it with axe-core. */
  const visit = async (path: string, heading: string, shot: string) => {
    await page.goto(`${s.handle.url}/portal${path}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    await page.waitForFunction(() => !(globalThis as any).document.querySelector('[aria-busy="true"]'));
    await screenshot(page, shot);
    expect(await seriousViolations(page)).toEqual([]);
    seen.add(shot);
  };

  beforeAll(async () => {
    [s, b, slow, flaky] = await Promise.all([
      startTestScheduler('postgres'),
      launchPortalBrowser(),
      new FakeDownstream({ delayMs: 3000 }).start(),
      new FakeDownstream({ behaviour: 'fail' }).start(),
    ]);
    for (const [username, role] of [
      ['otto', 'operator'],
      ['ada', 'admin'],
      ['victor', 'viewer'],
    ])
      expect((await s.api('POST', '/users', { username, role, password: PASSWORD })).status).toBe(201);
    ({ page, errors } = await b.open());
    await logIn(page, s.handle.url, 'otto', PASSWORD, errors);
    failedGroup = await defineAndTrigger(s, 'ledger', flaky.url, 2, {
      retry: { maxAttempts: 1, initialDelaySeconds: 0.05, factor: 2, maxDelaySeconds: 1 },
    });
    await waitForGroup(s, failedGroup, 'FAILED');
  });
  afterAll(async () => {
    await b?.close();
    await Promise.all([slow?.close(), flaky?.close()]);
    await s?.close();
  });

  it('shows a triggered group reaching SUCCEEDED on its page without a reload', async () => {
    okGroup = await defineAndTrigger(s, 'invoices', slow.url, 3);
    await page.goto(`${s.handle.url}/portal/group-runs/${okGroup}`);
    await page.getByTestId('group-status').getByText('Status: RUNNING').waitFor();
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await page.getByTestId('group-status').getByText('Status: SUCCEEDED').waitFor({ timeout: 20_000 });
    expect(navigations).toEqual([]);
  });

  it("shows the run's files, the timeline of their events and the reconciliation", async () => {
    await visit(`/group-runs/${okGroup}`, 'Group run', 'group-run');
    if (!existsSync('docs/portal-group-run.png')) await screenshot(page, 'group-run', 'docs/portal-group-run.png');
    await expect(page.getByRole('row').filter({ hasText: 'f-0.ndjson' }).first().isVisible()).resolves.toBe(true);
    await expect(page.getByRole('list', { name: 'Task timelines' }).getByRole('listitem').count()).resolves.toBe(3);
    const reconciliation = page.locator('section', { has: page.getByRole('heading', { name: 'Reconciliation' }) });
    await expect(reconciliation.getByRole('row').count()).resolves.toBe(4);
  });

  it("opens a task's events with their actors", async () => {
    await page.getByRole('link', { name: 'f-0.ndjson' }).click();
    await page.getByRole('heading', { level: 1, name: 'Task run' }).waitFor();
    await page.getByRole('cell', { name: 'callback' }).first().waitFor();
    await page.waitForFunction(() => !(globalThis as any).document.querySelector('[aria-busy="true"]'));
    await screenshot(page, 'task-run');
    expect(await seriousViolations(page)).toEqual([]);
    seen.add('task-run');
  });

  it('retries a failed task after a confirmation, and the task runs again', async () => {
    flaky.options.behaviour = 'succeed';
    await visit(`/group-runs/${failedGroup}`, 'Group run', 'group-run-failed');
    await page.getByRole('button', { name: 'Retry f-0.ndjson' }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry f-0.ndjson' });
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('task-f-0.ndjson').getByText('SUCCEEDED', { exact: true }).waitFor({ timeout: 15_000 });
    const group = await s.api('GET', `/group-runs/${failedGroup}`);
    expect(group.body.tasks.find((t: any) => t.file.name === 'f-0.ndjson').status).toBe('SUCCEEDED');
  });

  it('acknowledges an alert with a comment', async () => {
    const open = await eventually(async () => {
      const r = await s.api('GET', '/alerts?status=OPEN');
      return r.body.items.find((a: any) => a.groupRunId === failedGroup);
    });
    await visit('/alerts', 'Alerts', 'alerts');
    const row = page.getByTestId(`alert-${open.id}`);
    await row.getByRole('button', { name: /^Acknowledge/ }).click();
    const dialog = page.getByRole('dialog', { name: /^Acknowledge/ });
    await dialog.getByLabel(/Comment/).fill('ledger downstream was redeployed; retried by hand');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await row.waitFor({ state: 'detached' });
    const acked = (await s.api('GET', `/alerts?status=ACKNOWLEDGED`)).body.items.find((a: any) => a.id === open.id);
    expect(acked.comments).toEqual([
      expect.objectContaining({ action: 'ACK', text: 'ledger downstream was redeployed; retried by hand' }),
    ]);
  });

  it('shows every other page, accessible', async () => {
    await visit('/', 'Overview', 'overview');
    await visit('/definitions', 'Definitions', 'definitions');
    await visit('/definitions/new', 'New definition', 'definition-new');
    await visit('/group-runs', 'Group runs', 'group-runs');
    await visit('/triggers', 'Triggers', 'triggers');
    await visit('/targets', 'Targets', 'targets');
    await visit('/audit', 'Audit log', 'audit');
    // The keyboard alone: the first Tab reaches "Skip to content", the menu's links follow and Enter opens one.
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => (globalThis as any).document.activeElement?.textContent)).resolves.toBe(
      'Skip to content',
    );
    await page.getByRole('link', { name: 'Group runs' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Group runs' }).waitFor();
    expect(seen.size).toBeGreaterThanOrEqual(11);
  });

  it('shows field errors from the API schema beside the fields, and sends nothing', async () => {
    const admin = await b.open();
    await logIn(admin.page, s.handle.url, 'ada', PASSWORD, admin.errors);
    const page = admin.page;
    await page.goto(`${s.handle.url}/portal/definitions/new`);
    await page.getByRole('heading', { level: 1, name: 'New definition' }).waitFor();
    const before = (await s.api('GET', '/definitions')).body.items.length;
    await page.getByLabel('Name').fill('');
    await page.getByLabel('Poll interval (s)').fill('-1');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('#name-error').waitFor();
    await page.locator('#pollIntervalSeconds-error').waitFor();
    await screenshot(page, 'definition-errors');
    expect(await seriousViolations(page)).toEqual([]);
    expect((await s.api('GET', '/definitions')).body.items.length).toBe(before);
    expect(admin.errors).toEqual([]);
    await admin.context.close();
  });

  it('gives a viewer no action button, and the API refuses the action anyway', async () => {
    const viewer = await b.open();
    await logIn(viewer.page, s.handle.url, 'victor', PASSWORD);
    await viewer.page.goto(`${s.handle.url}/portal/group-runs/${failedGroup}`);
    await viewer.page.getByRole('heading', { level: 1, name: 'Group run' }).waitFor();
    await viewer.page.getByTestId('task-f-1.ndjson').waitFor();
    await expect(viewer.page.getByRole('button', { name: /Retry|Cancel/ }).count()).resolves.toBe(0);
    const before = (await s.api('GET', `/group-runs/${failedGroup}`)).body;
    const task = before.tasks.find((t: any) => t.file.name === 'f-1.ndjson');
    // The viewer's own session, with its CSRF token: refused for the missing scope, not for the token.
    const csrf = (await viewer.page.request.get(`${s.handle.url}/api/v1/session`).then((r) => r.json())).csrfToken;
    const refused = await viewer.page.evaluate(
      async ([id, token]) => {
        const res = await fetch(`/api/v1/task-runs/${id}/retry`, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'x-csrf-token': token },
        });
        return { status: res.status, body: (await res.json()) as any };
      },
      [task.id, csrf] as const,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({ code: 'FORBIDDEN', message: expect.any(String), details: expect.any(Array) });
    expect((await s.api('GET', `/task-runs/${task.id}`)).body.status).toBe(task.status);
    await viewer.context.close();
  });

  it('logged no console error on any page', () => {
    expect(errors).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { launchPortalBrowser, logIn, type PortalBrowser, screenshot, seriousViolations } from '../support/browser.js';
import { startTestScheduler, type SchedulerUnderTest } from '../support/scheduler.js';

const PASSWORD = 'correct-horse-battery-staple';

describe('the portal as served by the scheduler', () => {
  let s: SchedulerUnderTest;
  let b: PortalBrowser;
  beforeAll(async () => {
    [s, b] = await Promise.all([startTestScheduler('postgres'), launchPortalBrowser()]);
    for (const username of ['olga', 'mallory-target'])
      expect((await s.api('POST', '/users', { username, role: 'operator', password: PASSWORD })).status).toBe(201);
  });
  afterAll(async () => {
    await b?.close();
    await s?.close();
  });

  it('shows the login page to a visitor without a session, accessible', async () => {
    const { page, errors, context } = await b.open();
    await page.goto(`${s.handle.url}/portal/`);
    await page.getByRole('heading', { name: 'Ferry portal' }).waitFor();
    await expect(page.getByLabel('Username').isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Password').isVisible()).resolves.toBe(true);
    await screenshot(page, 'login');
    expect(await seriousViolations(page)).toEqual([]);
    // The browser logs the session check's 401 (no session yet): that one only.
    expect(errors.filter((e) => !e.includes('401'))).toEqual([]);
    await context.close();
  });

  it('logs in, keeps the session across a reload, and logs out', async () => {
    const { page, context } = await b.open();
    await logIn(page, s.handle.url, 'olga', PASSWORD);
    const cookie = (await context.cookies()).find((c) => c.name === 'ferry_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Ferry portal' }).waitFor();
    expect((await page.request.get(`${s.handle.url}/api/v1/session`)).status()).toBe(401);
    await context.close();
  });

  it('slows down five wrong passwords: the sixth try is refused even with the right password', async () => {
    const { page, context } = await b.open();
    await page.goto(`${s.handle.url}/portal/`);
    for (let i = 0; i < 5; i++) {
      await page.getByLabel('Username').fill('mallory-target');
      await page.getByLabel('Password').fill(`guess-${i}`);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').filter({ hasText: /./ }).waitFor();
      await page.getByRole('button', { name: 'Log in' }).and(page.locator(':enabled')).waitFor();
    }
    await page.getByLabel('Password').fill(PASSWORD);
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/session') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Log in' }).click();
    const res = await answer;
    expect(res.status()).toBe(429);
    expect(Number(res.headers()['retry-after'])).toBeGreaterThan(0);
    await page
      .getByRole('alert')
      .getByText(/Too many wrong passwords/)
      .waitFor();
    await screenshot(page, 'login-slowed');
    expect((await page.request.get(`${s.handle.url}/api/v1/session`)).status()).toBe(401);
    await context.close();
  });

  it('answers a client route with the app and its files with a policy that keeps other scripts out', async () => {
    const deep = await fetch(`${s.handle.url}/portal/group-runs/some-id`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<div id="root">');
    expect(deep.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(deep.headers.get('x-frame-options')).toBe('DENY');
  });
});

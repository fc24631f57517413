import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  launchPortalBrowser,
  type PortalBrowser,
  screenshot,
  seriousViolations,
  stubSession,
} from '../support/browser.js';
import { startTestScheduler, type SchedulerUnderTest } from '../support/scheduler.js';

describe('the portal as served by the scheduler', () => {
  let s: SchedulerUnderTest;
  let b: PortalBrowser;
  beforeAll(async () => {
    s = await startTestScheduler('postgres');
    b = await launchPortalBrowser();
  });
  afterAll(async () => {
    await b?.close();
    await s?.close();
  });

  it('shows the login page to a visitor without a session, accessible, without console errors', async () => {
    const { page, errors, context } = await b.open();
    await stubSession(context);
    await page.goto(`${s.handle.url}/portal/`);
    await page.getByRole('heading', { name: 'Ferry portal' }).waitFor();
    await expect(page.getByLabel('Username').isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Password').isVisible()).resolves.toBe(true);
    await screenshot(page, 'login');
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors.filter((e) => !e.includes('401'))).toEqual([]);
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

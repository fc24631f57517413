import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import axe from 'axe-core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

// Browser tests drive Debian's Chromium (never a downloaded one): .ci/run installs it when missing.
const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const SCREENSHOTS = 'test-results/screenshots';

export interface PortalBrowser {
  browser: Browser;
  /** A fresh context (its own cookies); the console errors of its pages are collected in `errors`. */
  open(opts?: { headers?: Record<string, string> }): Promise<{ context: BrowserContext; page: Page; errors: string[] }>;
  close(): Promise<void>;
}

export async function launchPortalBrowser(): Promise<PortalBrowser> {
  // launch() gives the browser a fresh temporary profile of its own, removed on close.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    browser,
    open: async (opts = {}) => {
      // bypassCSP: axe-core is injected as an inline script, which the portal's own policy refuses.
      const context = await browser.newContext({
        bypassCSP: true,
        viewport: { width: 1400, height: 900 },
        timezoneId: 'Europe/Paris',
        locale: 'en-GB',
        ...(opts.headers ? { extraHTTPHeaders: opts.headers } : {}),
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      return { context, page, errors };
    },
    close: async () => {
      await browser.close();
    },
  };
}

/** axe-core's serious and critical violations on the page as it is now (none expected). */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axe.source });
  const result: axe.AxeResults = await page.evaluate(() =>
    (globalThis as any).axe.run((globalThis as any).document, { resultTypes: ['violations'] }),
  );
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

export async function screenshot(page: Page, name: string, path = join(SCREENSHOTS, `${name}.png`)): Promise<void> {
  await page.screenshot({ path, fullPage: true });
}

/**
 * Logs in through the portal's login page and waits for the overview. The browser logs the login page's
 * session check (401: no session yet) as a console error: dropped from `errors`, the only one expected.
 */
export async function logIn(
  page: Page,
  appUrl: string,
  username: string,
  password: string,
  errors?: string[],
): Promise<void> {
  await page.goto(`${appUrl}/portal/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  if (errors) {
    const others = errors.filter((e) => !/status of 401/.test(e));
    errors.splice(0, errors.length, ...others);
  }
}

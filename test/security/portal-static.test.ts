import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JsonResponse } from '#ferry/testing';
import { type SchedulerUnderTest, startTestScheduler } from '../support/scheduler.js';
import { expectRefused } from '../support/security.js';

// Issue 13: the portal's public static files. Nothing outside the bundle is served under /portal, an
// unknown file is a contract 404, and every answer forbids framing and foreign scripts.

/** GET with the path sent exactly as written (fetch would normalise `..` away before sending it). */
function rawGet(base: string, path: string): Promise<JsonResponse & { text: string; headers: Headers }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        const headers = new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)] as [string, string]));
        let body: any;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body, text, headers } as never);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the portal files served by the scheduler', () => {
  let s: SchedulerUnderTest;
  let dir: string;
  const SECRET = 'not-for-the-browser-7f3a';
  beforeAll(async () => {
    // A bundle of its own, with a file beside it that must never be reachable through /portal.
    dir = mkdtempSync(join(tmpdir(), 'ferry-portal-'));
    mkdirSync(join(dir, 'bundle', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'bundle', 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(dir, 'bundle', 'assets', 'app-1234.js'), 'console.log("portal")');
    writeFileSync(join(dir, 'secret.txt'), SECRET);
    s = await startTestScheduler('sqlite', { FERRY_PORTAL_DIR: join(dir, 'bundle') });
  });
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    '/portal/../secret.txt',
    '/portal/%2e%2e/secret.txt',
    '/portal/..%2fsecret.txt',
    '/portal/assets/..%2f..%2fsecret.txt',
    '/portal/assets/%2e%2e/%2e%2e/secret.txt',
    '/portal/%252e%252e/secret.txt',
  ])('serves nothing outside the bundle: %s', async (path) => {
    const res = await rawGet(s.handle.url, path);
    expect(res.text).not.toContain(SECRET);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('answers a file the bundle does not have with a contract 404, not the app', async () => {
    const res = await rawGet(s.handle.url, '/portal/assets/app-0000.js');
    expectRefused(res, 404, 'NOT_FOUND');
  });

  it('serves the bundle and the app for client routes, never framed, with only its own scripts', async () => {
    for (const path of ['/portal', '/portal/', '/portal/group-runs/abc', '/portal/assets/app-1234.js']) {
      const res = await rawGet(s.handle.url, path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HttpApp } from './bootstrap.js';

/**
 * Headers of every portal file: the bundle's own scripts only (no inline script, no other origin), no
 * framing (clickjacking an operator's "cancel"), no MIME sniffing, no referrer leaving the origin.
 * Styles allow inline: the chart library sets style attributes.
 */
const PORTAL_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; " +
    "frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

/**
 * Serves a built single-page app (public files: the data behind them needs a session or token) at
 * `prefix`: its files as they are, and index.html for every other path under it (the app's own routes).
 * Answers whether it did: without a build (e.g. tests that never built the portal) nothing is served.
 */
export function serveSinglePageApp(app: HttpApp, root: string, prefix: string): boolean {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const indexFile = join(root, 'index.html');
  if (!existsSync(indexFile)) return false;
  const index = readFileSync(indexFile);
  const sendIndex = (_req: unknown, reply: FastifyReply) =>
    reply
      .headers({ ...PORTAL_HEADERS, 'cache-control': 'no-cache' })
      .type('text/html; charset=utf-8')
      .send(index);
  void fastify.register(async (scope) => {
    // wildcard: false registers one route per file found now, so unknown paths reach the index route below.
    await scope.register(fastifyStatic, {
      root,
      prefix: `${prefix}/`,
      wildcard: false,
      index: false,
      decorateReply: false,
      setHeaders: (reply) => {
        // Vite names assets by content hash: a changed file is a new name.
        void reply.headers({ ...PORTAL_HEADERS, 'cache-control': 'public, max-age=31536000, immutable' });
      },
      globIgnore: ['index.html'],
    });
    scope.get(prefix, sendIndex);
    scope.get(`${prefix}/`, sendIndex);
    scope.get(`${prefix}/*`, sendIndex);
  });
  return true;
}

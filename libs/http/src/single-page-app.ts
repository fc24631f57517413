import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ErrorCode } from '#ferry/errors';
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
  const sendIndex = (req: FastifyRequest, reply: FastifyReply) => {
    // A path naming a file (a dot in its last segment) that is not in the bundle is a 404, not the app:
    // a stale asset fails visibly, and no probe for another file is answered 200.
    if (/\.[^/]*$/.test(safeDecode(req.url.split('?')[0]))) {
      const err = new ApiError(ErrorCode.NOT_FOUND, 'No such file in the portal');
      return reply
        .status(err.status)
        .headers(PORTAL_HEADERS)
        .type('application/json; charset=utf-8')
        .send(err.toBody());
    }
    return reply
      .headers({ ...PORTAL_HEADERS, 'cache-control': 'no-cache' })
      .type('text/html; charset=utf-8')
      .send(index);
  };
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

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

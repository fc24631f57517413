import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import type { Registry } from 'prom-client';
import type { ObservabilityConfig } from './config.js';
import type { Logger } from './logger.js';
import type { HttpMetrics } from './metrics.js';
import type { LogFields } from './request-scope.js';
import { tracingActive } from './tracing.js';

type Handler = (req: Request, res: Response, next: NextFunction) => void;

const QUIET = /^\/(health\/|metrics)/;
const ID_FIELDS = ['taskRunId', 'dispatchId', 'groupRunId', 'triggerId', 'jobId'] as const;

interface Locals { ferry?: LogFields; ferryStart?: bigint }

/** Counts and times every request by its route template (bounded), never by its concrete path. */
export function metricsMiddleware(m: HttpMetrics): Handler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const route = routeOf(req);
      m.requests.labels(req.method, route, String(res.statusCode)).inc();
      m.duration.labels(req.method, route).observe(Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}

/**
 * One JSON line per request: method, route, status, time, and the ids it concerns. No headers, no
 * bodies. Written straight to the app's pino logger when the response is sent (pino-http's per-request
 * child logger cost more than the line itself on the callback path); an aborted request gets a line too.
 */
export function requestLogMiddleware(logger: Logger): Handler {
  return (req, res, next) => {
    if (QUIET.test(req.url ?? '')) return next();
    const start = performance.now();
    const header = req.headers['x-request-id'];
    const reqId = typeof header === 'string' ? header.slice(0, 100) : randomUUID();
    const done = () => {
      res.off('close', done);
      const line = { reqId, ...requestLine(req, res, Math.round(performance.now() - start)) };
      if (!res.writableFinished) return void logger.warn(line, `${req.method} ${line.route} aborted`);
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      logger[level](line, `${req.method} ${line.route} ${res.statusCode}`);
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}

function requestLine(req: Request, res: Response, responseTime: number): { route: string } & Record<string, unknown> {
  const fields = (res.locals as Locals).ferry ?? {};
  const params = (req.params ?? {}) as Record<string, string>;
  const route = routeOf(req);
  const fromParams: LogFields = { taskRunId: params.taskRunId, jobId: params.jobId };
  if (params.id && route.includes('/task-runs/')) fromParams.taskRunId = params.id;
  if (params.id && route.includes('/group-runs/')) fromParams.groupRunId = params.id;
  return { method: req.method, route, status: res.statusCode, responseTime, ...fromParams, ...fields };
}

/**
 * After the body parser: collects the ids the body names for the request's log line, and starts the
 * server span (child of the caller's `traceparent`), running the rest of the request inside it.
 */
export function scopeMiddleware(service: string): Handler {
  return (req, res, next) => {
    const fields: LogFields = {};
    (res.locals as Locals).ferry = fields;
    const body = req.body as Record<string, unknown> | undefined;
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      for (const k of ID_FIELDS) if (typeof body[k] === 'string') fields[k] = (body[k] as string).slice(0, 64);
    }
    if (!tracingActive()) return next();
    const parent = propagation.extract(context.active(), req.headers);
    const span = trace.getTracer(service).startSpan(`${req.method} ${req.path}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } }, parent);
    fields.traceId = span.spanContext().traceId;
    res.once('finish', () => {
      span.updateName(`${req.method} ${routeOf(req)}`);
      span.setAttributes({ 'http.route': routeOf(req), 'http.response.status_code': res.statusCode });
      if (res.statusCode >= 500) span.setStatus({ code: 2 });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}

function routeOf(req: Request): string {
  const path = (req.route as { path?: string } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl ?? ''}${path}` : 'unmatched';
}

/** GET /metrics: Prometheus text, for a caller with the bearer token (when one is configured). */
export function metricsHandler(registry: Registry, token: string | undefined) {
  const expected = token ? Buffer.from(`Bearer ${token}`) : undefined;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const given = Buffer.from(String(req.headers.authorization ?? ''));
    if (expected && (given.length !== expected.length || !timingSafeEqual(given, expected))) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
      res.end(JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'The metrics endpoint needs its bearer token', details: [] } }));
      return;
    }
    try {
      const text = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`metrics collection failed: ${(err as Error).message}`);
    }
  };
}

/** /metrics on a port of its own (for a scrape network that the public one cannot reach). */
export async function startMetricsServer(registry: Registry, config: ObservabilityConfig['metrics']): Promise<{ url: string; server: Server }> {
  const handle = metricsHandler(registry, config.token);
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/metrics') return void handle(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}/metrics`, server };
}

import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, type Span, SpanKind, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { ObservabilityConfig } from './config.js';
import type { Logger } from './logger.js';
import type { HttpMetrics } from './metrics.js';
import { type LogFields, logFieldsOf } from './request-scope.js';
import { tracingActive } from './tracing.js';

const QUIET = /^\/(health\/|metrics)/;
const ID_FIELDS = ['taskRunId', 'dispatchId', 'groupRunId', 'triggerId', 'jobId'] as const;

const STARTED = Symbol('ferry.started');
const SPAN = Symbol('ferry.span');
type Timed = FastifyRequest & { [STARTED]?: number; [SPAN]?: Span };

/** Notes when each request began, for the metrics and the log line (install once, before them). */
export function installTiming(app: FastifyInstance): void {
  app.addHook('onRequest', (req, _reply, done) => {
    (req as Timed)[STARTED] = performance.now();
    done();
  });
}

/** Counts and times every request by its route template (bounded), never by its concrete path. */
export function installMetrics(app: FastifyInstance, m: HttpMetrics): void {
  app.addHook('onResponse', (req, reply, done) => {
    const route = routeOf(req);
    m.requests.labels(req.method, route, String(reply.statusCode)).inc();
    m.duration.labels(req.method, route).observe(sinceStart(req) / 1000);
    done();
  });
}

/**
 * One JSON line per request: method, route, status, time, and the ids it concerns. No headers, no
 * bodies. Written straight to the app's pino logger when the response is sent; a request whose
 * client went away first gets a line too.
 */
export function installRequestLog(app: FastifyInstance, logger: Logger): void {
  app.addHook('onResponse', (req, reply, done) => {
    if (!QUIET.test(req.url)) {
      const line = { reqId: requestId(req), ...requestLine(req, reply) };
      const level = reply.statusCode >= 500 ? 'error' : reply.statusCode >= 400 ? 'warn' : 'info';
      logger[level](line, `${req.method} ${line.route} ${reply.statusCode}`);
    }
    done();
  });
  app.addHook('onRequestAbort', (req, done) => {
    if (!QUIET.test(req.url)) {
      const line = { reqId: requestId(req), method: req.method, route: routeOf(req), responseTime: elapsed(req) };
      logger.warn(line, `${req.method} ${line.route} aborted`);
    }
    done();
  });
}

function requestId(req: FastifyRequest): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' ? header.slice(0, 100) : randomUUID();
}

/** Milliseconds since the request began (installTiming). */
function sinceStart(req: FastifyRequest): number {
  return performance.now() - ((req as Timed)[STARTED] ?? performance.now());
}

function elapsed(req: FastifyRequest): number {
  return Math.round(sinceStart(req));
}

function requestLine(req: FastifyRequest, reply: FastifyReply): { route: string } & Record<string, unknown> {
  const params = (req.params ?? {}) as Record<string, string>;
  const route = routeOf(req);
  const fromParams: LogFields = { taskRunId: params.taskRunId, jobId: params.jobId };
  if (params.id && route.includes('/task-runs/')) fromParams.taskRunId = params.id;
  if (params.id && route.includes('/group-runs/')) fromParams.groupRunId = params.id;
  return {
    method: req.method,
    route,
    status: reply.statusCode,
    responseTime: elapsed(req),
    ...fromParams,
    ...logFieldsOf(reply),
  };
}

/**
 * Once the body is parsed: collects the ids it names for the request's log line, and starts the
 * server span (child of the caller's `traceparent`), running the handler inside it.
 */
export function installScope(app: FastifyInstance, service: string): void {
  app.addHook('preHandler', (req, reply, done) => {
    const fields = logFieldsOf(reply);
    const body = req.body as Record<string, unknown> | undefined;
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      for (const k of ID_FIELDS) if (typeof body[k] === 'string') fields[k] = (body[k] as string).slice(0, 64);
    }
    if (!tracingActive()) return done();
    const parent = propagation.extract(context.active(), req.headers);
    const span = trace
      .getTracer(service)
      .startSpan(
        `${req.method} ${req.url.split('?')[0]}`,
        { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } },
        parent,
      );
    fields.traceId = span.spanContext().traceId;
    (req as Timed)[SPAN] = span;
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onResponse', (req, reply, done) => {
    const span = (req as Timed)[SPAN];
    if (span) {
      span.updateName(`${req.method} ${routeOf(req)}`);
      span.setAttributes({ 'http.route': routeOf(req), 'http.response.status_code': reply.statusCode });
      if (reply.statusCode >= 500) span.setStatus({ code: 2 });
      span.end();
    }
    done();
  });
}

function routeOf(req: FastifyRequest): string {
  return req.routeOptions?.url ?? 'unmatched';
}

/** GET /metrics on the app's own port (outside /api/v1 and its guards: it checks its own token). */
export function installMetricsRoute(app: FastifyInstance, registry: Registry, token: string | undefined): void {
  const handle = metricsHandler(registry, token);
  app.get('/metrics', (req, reply) => {
    reply.hijack();
    void handle(req.raw, reply.raw);
  });
}

/** GET /metrics: Prometheus text, for a caller with the bearer token (when one is configured). */
export function metricsHandler(registry: Registry, token: string | undefined) {
  const expected = token ? Buffer.from(`Bearer ${token}`) : undefined;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const given = Buffer.from(String(req.headers.authorization ?? ''));
    if (expected && (given.length !== expected.length || !timingSafeEqual(given, expected))) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
      res.end(
        JSON.stringify({
          error: { code: 'UNAUTHENTICATED', message: 'The metrics endpoint needs its bearer token', details: [] },
        }),
      );
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
export async function startMetricsServer(
  registry: Registry,
  config: ObservabilityConfig['metrics'],
): Promise<{ url: string; server: Server }> {
  const handle = metricsHandler(registry, config.public ? undefined : config.token);
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/metrics') return void handle(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}/metrics`, server };
}

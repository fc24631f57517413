import { type DynamicModule, type INestApplication, Logger, type LoggerService, RequestMethod, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { ApiError, ErrorCode } from '#ferry/errors';
import { ApiExceptionFilter } from './api-exception.filter.js';

export interface HttpAppOptions {
  title: string;
  description: string;
  bodyLimitBytes: number;
  logger?: false | Array<'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal'>;
  /** Cross-cutting HTTP concerns (request logs and metrics, tracing, /metrics) from #ferry/observability. */
  hooks?: HttpHooks;
}

type Middleware = (req: never, res: never, next: () => void) => void;

export interface HttpHooks {
  /** Before the body parser, so that 413/415 answers are logged and counted too. */
  beforeBody: Middleware[];
  /** After it: what must see the parsed body, or must wrap the route handlers (trace context). */
  afterBody: Middleware[];
  /** Plain routes outside /api/v1 and its guards (they do their own auth). */
  routes: Array<{ path: string; handler: (req: never, res: never) => void }>;
  logger?: LoggerService;
}

/** The HTTP surface every Ferry app shares: /api/v1, JSON only, contract errors, OpenAPI at /docs. */
export async function createHttpApp(module: Type<unknown> | DynamicModule, opts: HttpAppOptions): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module, {
    bodyParser: false,
    logger: opts.logger ?? ['log', 'error', 'warn', 'fatal'],
  });
  app.setGlobalPrefix('api/v1', {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
    ],
  });
  const hooks = opts.hooks;
  if (hooks?.logger) app.useLogger(hooks.logger);
  for (const r of hooks?.routes ?? []) (app.getHttpAdapter().getInstance() as { get(path: string, h: unknown): void }).get(r.path, r.handler);
  for (const m of hooks?.beforeBody ?? []) app.use(m);
  app.use(requireJson);
  app.useBodyParser('json', { limit: opts.bodyLimitBytes, type: ['application/json', 'application/*+json'] });
  for (const m of hooks?.afterBody ?? []) app.use(m);
  app.useGlobalFilters(new ApiExceptionFilter());
  app.enableShutdownHooks();
  setupOpenApi(app, opts);
  return app;
}

function setupOpenApi(app: INestApplication, opts: HttpAppOptions): void {
  const config = new DocumentBuilder()
    .setTitle(opts.title)
    .setDescription(opts.description)
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), { jsonDocumentUrl: 'docs/openapi.json' });
}

/** 415 for a body that is not JSON; body-less requests (e.g. POST …/pause) pass. */
function requireJson(req: Request, res: Response, next: NextFunction): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody || !['POST', 'PUT', 'PATCH'].includes(req.method)) return next();
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type)) return next();
  const err = new ApiError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, `Content-Type must be application/json, got "${type || 'none'}"`);
  res.status(err.status).json(err.toBody());
}

export async function listen(app: INestApplication, port: number, host: string, name: string): Promise<string> {
  await app.listen(port, host);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('0.0.0.0', 'localhost');
  new Logger(name).log(`listening on ${url} (OpenAPI at ${url}/docs)`);
  return url;
}

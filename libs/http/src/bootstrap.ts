import {
  type DynamicModule,
  type INestApplication,
  Logger,
  type LoggerService,
  RequestMethod,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ErrorCode } from '#ferry/errors';
import { bearerToken, JWT_VERIFIER, type JwtVerifier } from '#ferry/auth';
import { ApiExceptionFilter, toApiError } from './api-exception.filter.js';
import { completeOpenApiDocument } from './openapi/index.js';

export interface HttpAppOptions {
  title: string;
  description: string;
  bodyLimitBytes: number;
  /** Serve /docs without a token; otherwise it needs a bearer token of this app with at least one scope. */
  docsPublic?: boolean;
  /** The name of a session cookie the app also accepts (the scheduler's portal): a security scheme in the document. */
  sessionCookie?: string;
  logger?: false | Array<'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal'>;
  /**
   * Cross-cutting HTTP concerns (request logs and metrics, tracing, /metrics) from #ferry/observability;
   * or a function that reads them from the app's container (its observability is one of its providers).
   */
  hooks?: HttpHooks | ((app: HttpApp) => HttpHooks);
  /**
   * Nest's default ends the process when a provider fails to build; an app whose database is opened
   * by a provider wants the error instead (tests, and a start that closes what it opened).
   */
  abortOnError?: boolean;
}

export interface HttpHooks {
  /** Adds request hooks (logs, metrics, the server span) and plain routes outside /api/v1 to the Fastify instance. */
  install(app: FastifyInstance): void;
  logger?: LoggerService;
}

export type HttpApp = NestFastifyApplication;

/**
 * The HTTP surface every Ferry app shares: /api/v1, JSON only, contract errors, OpenAPI at /docs.
 * Fastify under Nest: measured here, Express under Nest spent ~200 µs of CPU per small JSON POST and
 * Fastify ~40 µs, which on the callback path is a large part of a task's whole cost.
 */
export async function createHttpApp(module: Type<unknown> | DynamicModule, opts: HttpAppOptions): Promise<HttpApp> {
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    new FastifyAdapter({ bodyLimit: opts.bodyLimitBytes }),
    {
      bodyParser: false,
      logger: opts.logger ?? ['log', 'error', 'warn', 'fatal'],
      ...(opts.abortOnError === undefined ? {} : { abortOnError: opts.abortOnError }),
    },
  );
  app.setGlobalPrefix('api/v1', {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
    ],
  });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const hooks = typeof opts.hooks === 'function' ? opts.hooks(app) : opts.hooks;
  if (hooks?.logger) app.useLogger(hooks.logger);
  hooks?.install(fastify);
  fastify.addHook('onRequest', requireJson);
  acceptJsonOnly(fastify, opts.bodyLimitBytes);
  app.useGlobalFilters(new ApiExceptionFilter());
  app.enableShutdownHooks();
  if (!opts.docsPublic) guardDocs(fastify, app.get<JwtVerifier>(JWT_VERIFIER));
  setupOpenApi(app, opts);
  return app;
}

function setupOpenApi(app: INestApplication, opts: HttpAppOptions): void {
  const config = new DocumentBuilder()
    .setTitle(opts.title)
    .setDescription(opts.description)
    .setVersion('1')
    .setOpenAPIVersion('3.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  if (opts.sessionCookie)
    config.addCookieAuth(opts.sessionCookie, { type: 'apiKey', in: 'cookie' }, opts.sessionCookie);
  const document = config.build();
  SwaggerModule.setup('docs', app, () => completeOpenApiDocument(SwaggerModule.createDocument(app, document)), {
    jsonDocumentUrl: 'docs/openapi.json',
  });
}

const DOCS_ROUTE = /^\/docs($|[/-])/;

/**
 * The documents list every route and schema, which helps an attacker more than anyone else: they go
 * to callers of this app only. Matched on the route Fastify chose, so an encoded path cannot slip by.
 */
function guardDocs(fastify: FastifyInstance, verifier: JwtVerifier): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    if (!DOCS_ROUTE.test(req.routeOptions?.url ?? '')) return done();
    try {
      if (verifier.verify(bearerToken(req.headers.authorization)).scopes.length === 0)
        throw ApiError.forbidden('The API documents need a token with at least one scope of this app');
      done();
    } catch (caught) {
      const err = toApiError(caught);
      void reply.status(err.status).header('content-type', 'application/json; charset=utf-8').send(err.toBody());
    }
  });
}

const JSON_TYPE = /^application\/(json|[a-z0-9.+-]+\+json)$/;

/** JSON bodies only (UTF-8), parsed here; an empty body is no body (e.g. POST …/pause). */
function acceptJsonOnly(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(JSON_TYPE, { parseAs: 'string', bodyLimit }, (_req, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new ApiError(ErrorCode.MALFORMED_JSON, 'The request body is not valid JSON'), undefined);
    }
  });
}

/** 415 for a body that is not JSON in UTF-8; body-less requests pass. */
function requireJson(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody || !['POST', 'PUT', 'PATCH'].includes(req.method)) return done();
  const [type, ...params] = (req.headers['content-type'] ?? '').split(';').map((p) => p.trim().toLowerCase());
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice(8)
    .replace(/"/g, '');
  let err: ApiError | undefined;
  if (!JSON_TYPE.test(type))
    err = new ApiError(
      ErrorCode.UNSUPPORTED_MEDIA_TYPE,
      `Content-Type must be application/json, got "${type || 'none'}"`,
    );
  else if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    err = new ApiError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, `Unsupported charset "${charset}": JSON bodies are UTF-8`);
  if (!err) return done();
  void reply.status(err.status).header('content-type', 'application/json; charset=utf-8').send(err.toBody());
}

export async function listen(
  app: INestApplication,
  config: { http: { port: number; host: string }; development: boolean },
  name: string,
): Promise<string> {
  await app.listen(config.http.port, config.http.host);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('0.0.0.0', 'localhost');
  const logger = new Logger(name);
  logger.log(`listening on ${url} (OpenAPI at ${url}/docs)`);
  if (config.development) {
    logger.warn('development mode (FERRY_DEV_MODE): the public development secret and clients are trusted');
  }
  return url;
}

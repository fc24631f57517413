import type { Server } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import type { Registry } from 'prom-client';
import type { ObservabilityConfig } from './config.js';
import type { FastifyInstance } from 'fastify';
import {
  installMetrics,
  installMetricsRoute,
  installRequestLog,
  installScope,
  installTiming,
  startMetricsServer,
} from './http.js';
import { createLogger, hotPathLogger, type Logger, NestPinoLogger } from './logger.js';
import { createRegistry, httpMetrics } from './metrics.js';
import { setupTracing } from './tracing.js';

/** What tests (and the bench) may swap: where log lines go. */
export interface ObservabilityOverrides {
  logDestination?: DestinationStream;
}

/** The shape libs/http's createHttpApp accepts (kept structural so neither lib imports the other). */
export interface HttpObservabilityHooks {
  install(app: FastifyInstance): void;
  logger?: LoggerService;
}

/**
 * One app's signals: its metrics registry, its logger, its part of the process's tracing. Built
 * once at boot from the app's config; the app adds its own metrics to `registry`.
 */
export class Observability {
  private metricsServer?: Server;
  metricsUrl?: string;

  /** For the per-request and per-move lines only (see hotPathLogger). */
  readonly hotLogger: Logger;

  private constructor(
    readonly config: ObservabilityConfig,
    readonly registry: Registry,
    readonly logger: Logger,
  ) {
    this.hotLogger = hotPathLogger(logger);
  }

  static async create(config: ObservabilityConfig, overrides: ObservabilityOverrides = {}): Promise<Observability> {
    setupTracing(config.tracing, config.service);
    const logger = await createLogger(config.service, config.log, overrides.logDestination);
    return new Observability(config, createRegistry(config.service), logger);
  }

  get service(): string {
    return this.config.service;
  }

  /**
   * Request metrics and logs, the server span, and /metrics on the app's port when a token guards
   * it. `nestLogger`: route Nest's own log calls through pino (off when the app runs quiet).
   */
  httpHooks(opts: { nestLogger: boolean }): HttpObservabilityHooks {
    const { metrics, log } = this.config;
    return {
      install: (app) => {
        const logRequests = log.requests && log.level !== 'silent';
        if (metrics.enabled || logRequests) installTiming(app);
        if (metrics.enabled) installMetrics(app, httpMetrics(this.registry));
        if (logRequests) installRequestLog(app, this.hotLogger);
        installScope(app, this.service);
        if (metrics.enabled && metrics.token && metrics.port === undefined)
          installMetricsRoute(app, this.registry, metrics.token);
      },
      logger: opts.nestLogger ? new NestPinoLogger(this.logger) : undefined,
    };
  }

  /** The separate /metrics listener, when configured. */
  async start(): Promise<void> {
    const { metrics } = this.config;
    if (!metrics.enabled || metrics.port === undefined) return;
    const { url, server } = await startMetricsServer(this.registry, metrics);
    this.metricsServer = server;
    this.metricsUrl = url;
  }

  async close(): Promise<void> {
    if (this.metricsServer) await new Promise((r) => this.metricsServer!.close(r));
    this.logger.flush?.();
  }
}

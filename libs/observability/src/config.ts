import type { EnvReader } from '#ferry/config';

export interface MetricsConfig {
  enabled: boolean;
  /** Bearer token /metrics requires on the app's own port; none: /metrics is not served there. */
  token?: string;
  /** A separate listener for /metrics only (keep it off the public network); unset: none, 0: any free port. */
  port?: number;
  host: string;
  /** The separate listener answers without the token (a scrape network nobody else reaches); never the app's port. */
  public: boolean;
}

export interface LogConfig {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** json everywhere but a developer's terminal; pretty is coloured and one line per event. */
  format: 'json' | 'pretty';
  /** One line per HTTP request (probes and /metrics scrapes excluded). */
  requests: boolean;
  /** One line per task state move (scheduler). */
  taskMoves: boolean;
}

export interface TracingConfig {
  enabled: boolean;
  /** otlp: OTLP over HTTP to `otlpUrl`; console: print spans (debugging); none: propagate only. */
  exporter: 'otlp' | 'console' | 'none';
  otlpUrl: string;
  /** Fraction of new traces kept (a trace started upstream follows its caller's decision). */
  sampleRatio: number;
}

export interface ObservabilityConfig {
  service: string;
  metrics: MetricsConfig;
  log: LogConfig;
  tracing: TracingConfig;
}

/**
 * Reads the observability settings of one app. Shared names (FERRY_METRICS_TOKEN, FERRY_LOG_*,
 * FERRY_TRACING_*) apply to every app; the metrics port is per app (`<prefix>_METRICS_PORT`).
 */
export function readObservability(env: EnvReader, prefix: string, service: string): ObservabilityConfig {
  const metrics: MetricsConfig = {
    enabled: env.bool('FERRY_METRICS_ENABLED', true),
    token: env.optional('FERRY_METRICS_TOKEN'),
    port:
      env.optional(`${prefix}_METRICS_PORT`) === undefined ? undefined : env.int(`${prefix}_METRICS_PORT`, 0, 0, 65535),
    host: env.str('FERRY_METRICS_HOST', '0.0.0.0'),
    public: env.bool('FERRY_METRICS_PUBLIC', false),
  };
  // Metrics name sources, targets and volumes: an open listener is a choice made in the configuration.
  if (metrics.enabled && metrics.port !== undefined && !metrics.token && !metrics.public)
    env.problem(
      `${prefix}_METRICS_PORT serves /metrics, which needs FERRY_METRICS_TOKEN ` +
        '(or FERRY_METRICS_PUBLIC=true when only the scrape network reaches that port)',
    );
  return {
    service,
    metrics,
    log: {
      level: env.oneOf(
        'FERRY_LOG_LEVEL',
        ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
        'info',
      ),
      format: env.oneOf('FERRY_LOG_FORMAT', ['json', 'pretty'] as const, 'json'),
      requests: env.bool('FERRY_LOG_REQUESTS', true),
      taskMoves: env.bool('FERRY_LOG_TASK_MOVES', true),
    },
    tracing: {
      enabled: env.bool('FERRY_TRACING_ENABLED', false),
      exporter: env.oneOf('FERRY_TRACING_EXPORTER', ['otlp', 'console', 'none'] as const, 'otlp'),
      otlpUrl: env.str('FERRY_OTLP_TRACES_URL', 'http://localhost:4318/v1/traces'),
      sampleRatio: env.int('FERRY_TRACING_SAMPLE_PERCENT', 100, 0, 100) / 100,
    },
  };
}

type NestLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

/**
 * The apps' older verbosity switch (Nest log levels, or a plain on/off) still quietens them:
 * tests, the bench and the demo turn it down, and their JSON lines follow.
 */
export function capLogLevel(
  level: LogConfig['level'],
  nest: false | true | undefined | NestLevel[],
): LogConfig['level'] {
  const order = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
  let cap: LogConfig['level'] = 'trace';
  if (nest === false) cap = 'silent';
  else if (Array.isArray(nest))
    cap = nest.includes('log')
      ? 'trace'
      : nest.includes('warn')
        ? 'warn'
        : nest.includes('error')
          ? 'error'
          : nest.includes('fatal')
            ? 'fatal'
            : 'silent';
  return order.indexOf(cap) > order.indexOf(level) ? cap : level;
}

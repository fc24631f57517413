import { type HttpConfig, type InboundAuthConfig, type RedisConfig, EnvReader, readDatabase, readHttp, readInboundAuth, readRedis } from '#ferry/config';
import type { SigningProfile } from '#ferry/auth';
import { Audience, Scope } from '#ferry/contracts';
import type { DatabaseConfig } from '#ferry/persistence';

/** The scheduler's whole configuration, read once at boot; nothing else reads process.env. */
export interface SchedulerConfig {
  http: HttpConfig;
  db: DatabaseConfig;
  redis: RedisConfig;
  auth: InboundAuthConfig;
  /** Base URL downstreams call back on; defaults to the listening address. */
  publicUrl?: string;
  /** Used for a definition without an authProfile. */
  defaultOutboundProfile: SigningProfile;
  triggerQueue: string;
  /** Task rounds processed at once per instance (mostly waiting on HTTP). */
  concurrency: number;
  /** Parallel database batches per instance. */
  lanes: number;
  dispatchTimeoutMs: number;
  reconcileIntervalMs: number;
  /** An instance may serve the API only (e.g. behind a load balancer) and leave the queues to others. */
  runWorkers: boolean;
  logLevels: false | Array<'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal'>;
}

export function schedulerConfigFromEnv(envMap: Record<string, string | undefined> = process.env): SchedulerConfig {
  const env = new EnvReader(envMap);
  const devSecret = env.str('FERRY_DEV_SECRET', 'ferry-dev-secret-change-me');
  const config: SchedulerConfig = {
    http: readHttp(env, 'FERRY_SCHEDULER', 3000),
    db: readDatabase(env, 'FERRY_SCHEDULER', './data/scheduler.sqlite'),
    redis: readRedis(env),
    auth: readInboundAuth(env, 'FERRY_SCHEDULER', Audience.scheduler),
    publicUrl: env.optional('FERRY_SCHEDULER_PUBLIC_URL'),
    defaultOutboundProfile: {
      issuer: env.str('FERRY_SCHEDULER_CLIENT_ID', 'ferry-scheduler'),
      audience: Audience.consumer,
      scopes: [Scope.syncWrite, Scope.syncRead],
      ttlSeconds: 300,
      key: { alg: 'HS256', secret: env.str('FERRY_SCHEDULER_OUTBOUND_SECRET', devSecret) },
    },
    triggerQueue: env.str('FERRY_TRIGGER_QUEUE', 'ferry.triggers'),
    concurrency: env.int('FERRY_SCHEDULER_CONCURRENCY', 64, 1, 1000),
    lanes: env.int('FERRY_SCHEDULER_DB_LANES', 4, 1, 64),
    dispatchTimeoutMs: env.int('FERRY_DISPATCH_TIMEOUT_MS', 10_000, 100),
    reconcileIntervalMs: env.int('FERRY_RECONCILE_INTERVAL_MS', 30_000, 100),
    runWorkers: env.bool('FERRY_SCHEDULER_WORKERS', true),
    logLevels: ['log', 'error', 'warn', 'fatal'],
  };
  env.done('scheduler');
  return config;
}

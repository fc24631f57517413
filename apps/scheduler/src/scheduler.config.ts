import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type HttpConfig,
  type InboundAuthConfig,
  type RedisConfig,
  EnvReader,
  readDatabase,
  readHttp,
  readInboundAuth,
  readRedis,
  readDevelopment,
  readSigningSecret,
} from '#ferry/config';
import type { SigningProfile } from '#ferry/auth';
import { type AlertChannel, alertChannelSchema, Audience, Scope } from '#ferry/contracts';
import { type EgressConfig, readEgress } from '#ferry/egress';
import { compileChecker, DEFAULT_MAX_RESPONSE_BYTES } from '#ferry/http';
import type { DatabaseConfig } from '#ferry/persistence';
import { type ObservabilityConfig, readObservability } from '#ferry/observability';
import { callbackCallers } from './callbacks/callback-binding.js';
import type { SecretKeys } from './secrets/secret-box.js';
import { readSecretKeys } from './secrets/secret-keys.js';
import { readTriggerSources } from './sources/source-config.js';
import type { TriggerSourceConfig } from './sources/trigger-source.js';
import { DEFAULT_TUNING, type Tuning } from './tuning.js';

/** The scheduler's whole configuration, read once at boot; nothing else reads process.env. */
export interface SchedulerConfig {
  /** FERRY_DEV_MODE: the public development secret, default clients and loopback are trusted. */
  development: boolean;
  http: HttpConfig;
  db: DatabaseConfig;
  redis: RedisConfig;
  auth: InboundAuthConfig;
  /** The inbound clients that may call back for the tasks of a target without its own `callbackClients`. */
  callbackClients: string[];
  /** What the egress guard lets out besides public addresses: targets, webhooks (FERRY_EGRESS_ALLOW). */
  egress: EgressConfig;
  /** Base URL downstreams call back on; defaults to the listening address. */
  publicUrl?: string;
  /** Used for a definition without an authProfile. */
  defaultOutboundProfile: SigningProfile;
  /** The keys auth profiles' secrets are sealed with at rest; `development`: the public development key. */
  secrets: SecretKeys & { development: boolean };
  triggerQueue: string;
  /** Trigger sources in front of brokers and upstream tables (FERRY_TRIGGER_SOURCES, JSON; sources/). */
  triggerSources: TriggerSourceConfig[];
  /** Task rounds processed at once per instance (mostly waiting on HTTP). */
  concurrency: number;
  /** Parallel database batches per instance. */
  lanes: number;
  dispatchTimeoutMs: number;
  /**
   * A downstream's 202 waits this long for the task's first
   * callback, to be written in one go with it (TaskEngine.defer).
   */
  acceptLingerMs: number;
  reconcileIntervalMs: number;
  /** An instance may serve the API only (e.g. behind a load balancer) and leave the queues to others. */
  runWorkers: boolean;
  alerts: AlertsConfig;
  /** How often the overdue sweep looks for runs past their deadline. */
  overdueSweepMs: number;
  /**
   * The dependency backstop: how often it re-checks upstream successes (a crash between an upstream's
   * commit and its dependants' fire loses nothing) and dependants' cutoffs, over how many days of runs.
   */
  dependencies: { sweepMs: number; lookbackDays: number };
  retention: RetentionConfig;
  schedules: SchedulesConfig;
  targets: TargetDefaults;
  logLevels: false | Array<'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal'>;
  /** The operators' portal bundle served at /portal (FERRY_PORTAL_DIR); not served when it has no index.html. */
  portalDir: string;
  /** Metrics, structured logs, traces (#ferry/observability). */
  observability: ObservabilityConfig;
  /** The speed work's numbers, each with its reason (tuning.ts); not read from the environment. */
  tuning: Tuning;
  bounds: BoundsConfig;
  portal: PortalConfig;
}

/** The operators' portal: sessions and the slowing of wrong passwords (docs/security.md, "Operators' portal"). */
export interface PortalConfig {
  /** A session unused this long ends. */
  sessionIdleMs: number;
  /** A session ends this long after the login, however much it is used. */
  sessionMaxMs: number;
  /** Consecutive wrong passwords for one username (or from one address, 4 times as many) before 429. */
  loginMaxFailures: number;
  /** How long a username or an address stays refused once it reached the limit. */
  loginLockSeconds: number;
  /** The cookie's `Secure` attribute: on outside development mode (HTTPS only). */
  secureCookie: boolean;
}

/** The schedules' fire loop (schedules/schedule-firer.ts). */
export interface SchedulesConfig {
  /** The loop looks at the schedule table at least this often (other instances' saves, resumed schedules). */
  idleMs: number;
  /** Schedules fired per transaction. */
  batch: number;
  /** FIRE_ALL: at most this many missed fires of one schedule are fired when it comes back; older ones are skipped. */
  maxMisfires: number;
  /**
   * PostgreSQL: a pass takes the fires due within this many ms, writes them ahead and commits at their time, so a
   * fire is stored when it is due however long writing a thousand of them takes (0: at their time, then written).
   */
  leadMs: number;
}

/** How long finished runs, their tasks and events, triggers and settled alerts are kept (maintenance/retention.ts). */
export interface RetentionConfig {
  /** Older than this many days, they are purged; 0 keeps everything forever. */
  days: number;
  /** How often a purge pass runs. */
  sweepMs: number;
  /** Group runs (with their tasks and events), triggers or alerts deleted per transaction. */
  batch: number;
}

/** What a sender or a peer can make the scheduler hold or write at once (docs/security.md, "Bounds"). */
export interface BoundsConfig {
  /** The most bytes read of one answer from a downstream or an alert webhook. */
  maxResponseBytes: number;
  /** Files one trigger message may list (422 above it; a queued one is kept as REJECTED). */
  maxFilesPerTrigger: number;
  /** Task runs one group run may have (a trigger's or a manual run's files; 422 above it). */
  maxTasksPerGroup: number;
}

export interface AlertsConfig {
  /** For definitions without `alerts.channels`, and for triggers that matched no definition. */
  defaultChannels: AlertChannel[];
  silenceMs: number;
  /** e.g. smtp://user:pass@mail:587; e-mail channels need it. */
  smtpUrl?: string;
  emailFrom: string;
  deliveryPollMs: number;
  deliveryTimeoutMs: number;
  /** Delivery attempts of one notification before it is kept as dead (listed, retried by an operator). */
  deliveryMaxAttempts: number;
}

/**
 * Per downstream target; a definition's `target.maxConcurrent` /
 * `target.ratePerSecond` override the first two. 0 = no limit.
 */
export interface TargetDefaults {
  maxConcurrent: number;
  ratePerSecond: number;
  /** Consecutive failed sync requests that open a target's breaker. */
  breakerFailures: number;
  /** How long an open breaker waits before letting one probe through. */
  breakerCooldownMs: number;
  /** How long a dispatch refused by a full concurrency cap waits before trying again. */
  blockedRetryMs: number;
}

const checkChannel = compileChecker(alertChannelSchema);

export function schedulerConfigFromEnv(envMap: Record<string, string | undefined> = process.env): SchedulerConfig {
  const env = new EnvReader(envMap);
  const dev = readDevelopment(env);
  const config: SchedulerConfig = {
    development: dev.on,
    http: readHttp(env, 'FERRY_SCHEDULER', 3000),
    db: readDatabase(env, 'FERRY_SCHEDULER', './data/scheduler.sqlite'),
    redis: readRedis(env),
    auth: readInboundAuth(env, dev, 'FERRY_SCHEDULER', Audience.scheduler),
    callbackClients: readClientList(env, 'FERRY_SCHEDULER_CALLBACK_CLIENTS', ['ferry-consumer']),
    egress: readEgress(env, dev),
    publicUrl: env.optional('FERRY_SCHEDULER_PUBLIC_URL'),
    defaultOutboundProfile: {
      issuer: env.str('FERRY_SCHEDULER_CLIENT_ID', 'ferry-scheduler'),
      audience: Audience.consumer,
      scopes: [Scope.syncWrite, Scope.syncRead],
      ttlSeconds: 300,
      key: { alg: 'HS256', secret: readSigningSecret(env, dev, 'FERRY_SCHEDULER_OUTBOUND_SECRET') },
    },
    secrets: readSecretKeys(env, dev),
    triggerQueue: env.str('FERRY_TRIGGER_QUEUE', 'ferry.triggers'),
    triggerSources: readTriggerSources(env.json<unknown>('FERRY_TRIGGER_SOURCES', [])),
    concurrency: env.int('FERRY_SCHEDULER_CONCURRENCY', 64, 1, 1000),
    lanes: env.int('FERRY_SCHEDULER_DB_LANES', 4, 1, 64),
    dispatchTimeoutMs: env.int('FERRY_DISPATCH_TIMEOUT_MS', 10_000, 100),
    acceptLingerMs: env.int('FERRY_ACCEPT_LINGER_MS', 500, 0, 10_000),
    reconcileIntervalMs: env.int('FERRY_RECONCILE_INTERVAL_MS', 30_000, 100),
    runWorkers: env.bool('FERRY_SCHEDULER_WORKERS', true),
    alerts: {
      defaultChannels: env.json<AlertChannel[]>('FERRY_ALERT_CHANNELS', [{ type: 'log' }]),
      silenceMs: env.int('FERRY_ALERT_SILENCE_SECONDS', 3600, 0) * 1000,
      smtpUrl: env.optional('FERRY_SMTP_URL'),
      emailFrom: env.str('FERRY_ALERT_EMAIL_FROM', 'ferry-scheduler@localhost'),
      deliveryPollMs: env.int('FERRY_ALERT_POLL_MS', 1000, 10),
      deliveryTimeoutMs: env.int('FERRY_ALERT_TIMEOUT_MS', 10_000, 100),
      deliveryMaxAttempts: env.int('FERRY_ALERT_MAX_ATTEMPTS', 20, 1, 1000),
    },
    overdueSweepMs: env.int('FERRY_OVERDUE_SWEEP_MS', 10_000, 50),
    dependencies: {
      sweepMs: env.int('FERRY_DEPENDENCY_SWEEP_MS', 30_000, 50),
      lookbackDays: env.int('FERRY_DEPENDENCY_LOOKBACK_DAYS', 3, 1, 60),
    },
    retention: {
      days: env.int('FERRY_RETENTION_DAYS', 90, 0),
      sweepMs: env.int('FERRY_RETENTION_SWEEP_MS', 3_600_000, 1000),
      batch: env.int('FERRY_RETENTION_BATCH', 200, 1, 10_000),
    },
    schedules: {
      idleMs: env.int('FERRY_SCHEDULE_IDLE_MS', 1000, 10, 60_000),
      batch: env.int('FERRY_SCHEDULE_BATCH', 500, 1, 5000),
      maxMisfires: env.int('FERRY_SCHEDULE_MAX_MISFIRES', 100, 1, 10_000),
      leadMs: env.int('FERRY_SCHEDULE_LEAD_MS', 300, 0, 5000),
    },
    targets: {
      maxConcurrent: env.int('FERRY_TARGET_MAX_CONCURRENT', 0, 0),
      ratePerSecond: env.int('FERRY_TARGET_RATE_PER_SECOND', 0, 0),
      breakerFailures: env.int('FERRY_BREAKER_FAILURES', 5, 1),
      breakerCooldownMs: env.int('FERRY_BREAKER_COOLDOWN_MS', 30_000, 10),
      blockedRetryMs: env.int('FERRY_TARGET_BLOCKED_RETRY_MS', 500, 10),
    },
    logLevels: ['log', 'error', 'warn', 'fatal'],
    portalDir: env.str('FERRY_PORTAL_DIR', defaultPortalDir()),
    observability: readObservability(env, 'FERRY_SCHEDULER', 'ferry-scheduler'),
    tuning: { ...DEFAULT_TUNING },
    bounds: {
      maxResponseBytes: env.int('FERRY_SCHEDULER_MAX_RESPONSE_BYTES', DEFAULT_MAX_RESPONSE_BYTES, 1024),
      // The contract's own ceiling (docs/contract.md): a deployment may only lower it.
      maxFilesPerTrigger: env.int('FERRY_SCHEDULER_MAX_FILES_PER_TRIGGER', 100_000, 1, 100_000),
      maxTasksPerGroup: env.int('FERRY_SCHEDULER_MAX_TASKS_PER_GROUP', 100_000, 1, 100_000),
    },
    portal: {
      sessionIdleMs: env.int('FERRY_PORTAL_SESSION_IDLE_MINUTES', 30, 1, 24 * 60) * 60_000,
      sessionMaxMs: env.int('FERRY_PORTAL_SESSION_MAX_HOURS', 12, 1, 24 * 30) * 3_600_000,
      loginMaxFailures: env.int('FERRY_PORTAL_LOGIN_MAX_FAILURES', 5, 1, 100),
      loginLockSeconds: env.int('FERRY_PORTAL_LOGIN_LOCK_SECONDS', 900, 1, 86_400),
      secureCookie: !dev.on,
    },
  };
  env.done('scheduler');
  const channels = config.alerts.defaultChannels;
  const problems = Array.isArray(channels)
    ? channels.flatMap((c, i) => checkChannel(c).map((d) => `FERRY_ALERT_CHANNELS[${i}]: ${d.path} ${d.problem}`))
    : ['FERRY_ALERT_CHANNELS must be a JSON array'];
  if (Array.isArray(channels) && channels.some((c) => c.type === 'email') && !config.alerts.smtpUrl)
    problems.push('FERRY_SMTP_URL is required for an e-mail channel');
  // Checked when set: the default names the reference consumer, which a deployment's own clients may not include.
  if (env.optional('FERRY_SCHEDULER_CALLBACK_CLIENTS') !== undefined) {
    const callers = callbackCallers(config.auth.clients);
    for (const id of config.callbackClients.filter((c) => !callers.has(c)))
      problems.push(`FERRY_SCHEDULER_CALLBACK_CLIENTS names "${id}", not a client with callbacks:write`);
  }
  if (problems.length) throw new Error(`Invalid scheduler configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}

/** dist/portal of the checkout this code runs from (built or not: tests run the sources). */
function defaultPortalDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'portal');
}

/** Client ids: a JSON array of strings, or ids separated by commas; at least one. */
function readClientList(env: EnvReader, name: string, fallback: string[]): string[] {
  const raw = env.optional(name);
  if (raw === undefined) return fallback;
  const list: unknown = raw.trim().startsWith('[')
    ? env.json<unknown>(name, fallback)
    : raw.split(',').map((id) => id.trim());
  if (Array.isArray(list) && list.length > 0 && list.every((id) => typeof id === 'string' && id !== '')) return list;
  env.problem(`${name} must list client ids: a JSON array of strings or ids separated by commas`);
  return fallback;
}

import { availableParallelism, hostname } from 'node:os';
import {
  EnvReader,
  type HttpConfig,
  type InboundAuthConfig,
  readDatabase,
  readHttp,
  readInboundAuth,
  readDevelopment,
  readRedisConnection,
  readSigningSecret,
} from '#ferry/config';
import { Audience } from '#ferry/contracts';
import { type EgressConfig, readEgress } from '#ferry/egress';
import type { DatabaseConfig } from '#ferry/persistence';
import type { RedisConnectionConfig } from '#ferry/queue';
import { type ObservabilityConfig, readObservability } from '#ferry/observability';
import { parseSinkProfiles, type SinkProfile } from './sink/sink-profiles.js';

export interface ConsumerConfig {
  /** FERRY_DEV_MODE: the public development secret, default clients and loopback are trusted. */
  development: boolean;
  http: HttpConfig;
  db: DatabaseConfig;
  auth: InboundAuthConfig;
  /** What the egress guard lets out besides public addresses: the provider, callbacks (FERRY_EGRESS_ALLOW). */
  egress: EgressConfig;
  /** The only origins a sync job's `callbackUrl` may name (FERRY_CONSUMER_SCHEDULER_ORIGINS). */
  schedulerOrigins: SchedulerOrigins;
  /** The provider whose files this consumer loads (and whose datasets it reads). */
  providerUrl: string;
  /** How this consumer signs its tokens to the provider (data:read) and the scheduler (callbacks:write). */
  signing: { issuer: string; secret: string; ttlSeconds: number };
  /** Worker threads, one file each at a time. */
  workers: number;
  /**
   * What one instance holds at once (docs/security.md, "Bounds"): jobs not yet finished, and their
   * files on a worker thread or waiting for one. A new job past either is answered 429.
   */
  limits: { maxJobs: number; maxQueuedFiles: number };
  /** Each worker thread's V8 limits (piscina `resourceLimits`): a thread past them dies, failing its file. */
  workerLimits: { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number; stackSizeMb: number };
  /** Records per provider page; each page is one load transaction with its checkpoint. */
  pageSize: number;
  /** How long a dataset definition this instance stored serves new jobs without reading it again. */
  datasetMaxAgeMs: number;
  progressIntervalMs: number;
  outboxPollMs: number;
  /**
   * Delivery attempts of one report to the scheduler before it is kept as DEAD (listed, retried by an
   * operator). A report given up is not lost: the scheduler polls each live task's job for its status.
   */
  callbackMaxAttempts: number;
  /** A job is owned by one instance; another may take it over once the lease has lapsed. */
  leaseMs: number;
  instanceId: string;
  /** The compiled worker entry (overridable so tests can point at the built file). */
  workerFile: string;
  logger: boolean;
  /** Metrics, structured logs, traces (#ferry/observability). */
  observability: ObservabilityConfig;
  /** What datasets with an HTTP record sink need (docs/contract-additions.md, "Record sink"). */
  sinks: SinkConfig;
}

/** Plain data: each worker thread gets it with its file. */
export interface SinkConfig {
  /** Where sink rate limits are counted, shared by every thread and instance (FERRY_REDIS_URL, _CLUSTER_NODES). */
  redis: RedisConnectionConfig;
  redisPrefix: string;
  /** A sink's `authProfile` names one of these: an API key or a JWT key, and the origins it may go to. */
  authProfiles: Record<string, SinkProfile>;
  /** A profile without `origins` may go anywhere in development mode, nowhere outside it. */
  development: boolean;
}

/** Where sync jobs may ask this consumer to report (FERRY_CONSUMER_SCHEDULER_ORIGINS). */
export interface SchedulerOrigins {
  /** `scheme://host[:port]`, as `URL.origin` writes it. */
  origins: string[];
  /** Any http(s) origin on loopback (localhost, 127.0.0.0/8, [::1]): development mode's default. */
  loopback: boolean;
}

/** The consumer's configuration in Nest's container: the one value provided as it is (ConsumerConfigModule). */
export const CONSUMER_CONFIG = Symbol('CONSUMER_CONFIG');
/** What tests (and the bench) swap in observability: where log lines go. */
export const OBSERVABILITY_OVERRIDES = Symbol('CONSUMER_OBSERVABILITY_OVERRIDES');

/** The one place the consumer reads its environment. */
export function consumerConfigFromEnv(env: Record<string, string | undefined>): ConsumerConfig {
  const r = new EnvReader(env);
  const http = readHttp(r, 'FERRY_CONSUMER', 3001);
  const dev = readDevelopment(r);
  const config: ConsumerConfig = {
    development: dev.on,
    http,
    db: readDatabase(r, 'FERRY_CONSUMER', './data/consumer.sqlite'),
    auth: readInboundAuth(r, dev, 'FERRY_CONSUMER', Audience.consumer),
    egress: readEgress(r, dev),
    schedulerOrigins: readSchedulerOrigins(r, dev.on),
    providerUrl: r.str('FERRY_CONSUMER_PROVIDER_URL', 'http://localhost:3002').replace(/\/$/, ''),
    signing: {
      issuer: r.str('FERRY_CONSUMER_CLIENT_ID', 'ferry-consumer'),
      secret: readSigningSecret(r, dev, 'FERRY_CONSUMER_SIGNING_SECRET'),
      ttlSeconds: r.int('FERRY_CONSUMER_TOKEN_TTL_SECONDS', 300, 10, 86400),
    },
    workers: r.int('FERRY_CONSUMER_WORKERS', availableParallelism(), 1, 256),
    limits: {
      maxJobs: r.int('FERRY_CONSUMER_MAX_JOBS', 1000, 1, 1_000_000),
      // The contract's largest sync request (10,000 files) fits an idle instance.
      maxQueuedFiles: r.int('FERRY_CONSUMER_MAX_QUEUED_FILES', 10_000, 1, 10_000_000),
    },
    workerLimits: {
      // A page of 10,000 records, the next page read and the one committing fit many times over.
      maxOldGenerationSizeMb: r.int('FERRY_CONSUMER_WORKER_MAX_OLD_MB', 1024, 16, 65_536),
      // V8's own default for a thread (48): bigger scavenges less, smaller costs throughput.
      maxYoungGenerationSizeMb: r.int('FERRY_CONSUMER_WORKER_MAX_YOUNG_MB', 48, 1, 4096),
      stackSizeMb: r.int('FERRY_CONSUMER_WORKER_STACK_MB', 4, 1, 256),
    },
    pageSize: r.int('FERRY_CONSUMER_PAGE_SIZE', 10000, 1, 10000),
    datasetMaxAgeMs: r.int('FERRY_CONSUMER_DATASET_MAX_AGE_SECONDS', 60, 0, 86400) * 1000,
    progressIntervalMs: r.int('FERRY_CONSUMER_PROGRESS_MS', 1000, 10, 600_000),
    outboxPollMs: r.int('FERRY_CONSUMER_OUTBOX_POLL_MS', 1000, 10, 600_000),
    // About an hour and a half of a scheduler that does not take reports (backoff up to a minute apart).
    callbackMaxAttempts: r.int('FERRY_CONSUMER_CALLBACK_MAX_ATTEMPTS', 100, 1, 1_000_000),
    leaseMs: r.int('FERRY_CONSUMER_LEASE_MS', 30_000, 500, 3_600_000),
    // Stable across restarts of the same instance, so a restarted consumer resumes its jobs at once.
    instanceId: r.str('FERRY_CONSUMER_INSTANCE_ID', `${hostname()}:${http.port}`),
    workerFile: r.str('FERRY_CONSUMER_WORKER_FILE', new URL('./workers/file-worker-entry.cjs', import.meta.url).href),
    logger: r.bool('FERRY_CONSUMER_LOG', true),
    observability: readObservability(r, 'FERRY_CONSUMER', 'ferry-consumer'),
    sinks: {
      redis: readRedisConnection(r),
      redisPrefix: r.str('FERRY_CONSUMER_REDIS_PREFIX', 'ferry-consumer:'),
      authProfiles: readSinkProfiles(r, dev.on),
      development: dev.on,
    },
  };
  r.done('consumer');
  return config;
}

/**
 * The consumer posts its reports, with its own `callbacks:write` token, to the `callbackUrl` each sync job
 * names: only under these origins, so that a caller cannot have it post (and its token) anywhere else.
 * Required outside development mode; a set value replaces development mode's default (any loopback origin).
 */
function readSchedulerOrigins(r: EnvReader, development: boolean): SchedulerOrigins {
  const name = 'FERRY_CONSUMER_SCHEDULER_ORIGINS';
  const raw = r.optional(name);
  if (raw === undefined) {
    if (!development)
      r.problem(
        `${name} is not set: outside development mode the consumer reports only to the scheduler origins ` +
          'listed there (e.g. https://ferry.example.com)',
      );
    return { origins: [], loopback: development };
  }
  const origins: string[] = [];
  for (const entry of raw.split(',').map((e) => e.trim())) {
    if (!entry) continue;
    const url = URL.canParse(entry) ? new URL(entry) : undefined;
    const plain = url && !url.username && !url.password && !url.search && !url.hash && url.pathname === '/';
    if (url && plain && (url.protocol === 'http:' || url.protocol === 'https:')) origins.push(url.origin);
    else r.problem(`${name}: "${entry}" is not an origin (http or https://host[:port], without a path)`);
  }
  return { origins, loopback: false };
}

/** FERRY_CONSUMER_SINK_PROFILES (sink/sink-profiles.ts): no problem quotes a key or a secret. */
function readSinkProfiles(r: EnvReader, development: boolean): SinkConfig['authProfiles'] {
  const name = 'FERRY_CONSUMER_SINK_PROFILES';
  const { profiles, problems } = parseSinkProfiles(r.optional(name) ?? '', development);
  for (const problem of problems) r.problem(`${name}: ${problem}`);
  return profiles;
}

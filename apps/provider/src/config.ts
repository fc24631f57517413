import {
  EnvReader,
  type HttpConfig,
  type InboundAuthConfig,
  readDatabase,
  readHttp,
  readInboundAuth,
  readDevelopment,
  readSigningSecret,
} from '#ferry/config';
import { Audience } from '#ferry/contracts';
import { type EgressConfig, readEgress } from '#ferry/egress';
import type { DatabaseConfig } from '#ferry/persistence';
import { type ObservabilityConfig, readObservability } from '#ferry/observability';

export interface ProviderConfig {
  /** FERRY_DEV_MODE: the public development secret, default clients and loopback are trusted. */
  development: boolean;
  http: HttpConfig;
  db: DatabaseConfig;
  auth: InboundAuthConfig;
  /** What the egress guard lets out besides public addresses: the scheduler (FERRY_EGRESS_ALLOW). */
  egress: EgressConfig;
  /** Where published files are announced (POST {schedulerUrl}/api/v1/triggers); none: not announced. */
  schedulerUrl: string | undefined;
  /** The `source` of the trigger messages this provider posts. */
  source: string;
  /** How this provider signs its own tokens (to the scheduler). */
  signing: { issuer: string; secret: string; ttlSeconds: number };
  outboxPollMs: number;
  /**
   * Delivery attempts of one announcement before it is kept as DEAD (listed, retried by an operator):
   * until then the scheduler never hears of the file, so the default outlasts a long outage.
   */
  announceMaxAttempts: number;
  /**
   * The origins each record-sink auth profile may be sent to (FERRY_PROVIDER_SINK_ORIGINS): a dataset whose
   * `sink.url` is outside its profile's is refused when saved. The consumer holds the keys and checks again.
   */
  sinkOrigins: Record<string, string[]>;
  logger: boolean;
  /** Metrics, structured logs, traces (#ferry/observability). */
  observability: ObservabilityConfig;
}

/** The provider's configuration in Nest's container: the one value provided as it is (ProviderConfigModule). */
export const PROVIDER_CONFIG = Symbol('PROVIDER_CONFIG');
/** What tests (and the bench) swap in observability: where log lines go. */
export const OBSERVABILITY_OVERRIDES = Symbol('PROVIDER_OBSERVABILITY_OVERRIDES');

/** The one place the provider reads its environment. */
export function providerConfigFromEnv(env: Record<string, string | undefined>): ProviderConfig {
  const r = new EnvReader(env);
  const dev = readDevelopment(r);
  const config: ProviderConfig = {
    development: dev.on,
    http: readHttp(r, 'FERRY_PROVIDER', 3002),
    db: readDatabase(r, 'FERRY_PROVIDER', './data/provider.sqlite'),
    auth: readInboundAuth(r, dev, 'FERRY_PROVIDER', Audience.provider),
    egress: readEgress(r, dev),
    schedulerUrl:
      r.optional('FERRY_PROVIDER_SCHEDULER_URL') ??
      (r.bool('FERRY_PROVIDER_ANNOUNCE', true) ? 'http://localhost:3000' : undefined),
    source: r.str('FERRY_PROVIDER_SOURCE', 'ferry-provider'),
    signing: {
      issuer: r.str('FERRY_PROVIDER_CLIENT_ID', 'ferry-provider'),
      secret: readSigningSecret(r, dev, 'FERRY_PROVIDER_SIGNING_SECRET'),
      ttlSeconds: r.int('FERRY_PROVIDER_TOKEN_TTL_SECONDS', 300, 10, 86400),
    },
    outboxPollMs: r.int('FERRY_PROVIDER_OUTBOX_POLL_MS', 1000, 10, 600_000),
    // About 16 hours of a scheduler that does not take triggers (backoff up to a minute apart).
    announceMaxAttempts: r.int('FERRY_PROVIDER_ANNOUNCE_MAX_ATTEMPTS', 1000, 1, 1_000_000),
    sinkOrigins: readSinkOrigins(r),
    logger: r.bool('FERRY_PROVIDER_LOG', true),
    observability: readObservability(r, 'FERRY_PROVIDER', 'ferry-provider'),
  };
  r.done('provider');
  return config;
}

/**
 * FERRY_PROVIDER_SINK_ORIGINS: a JSON object from sink profile name to its origins, as the consumer's
 * FERRY_CONSUMER_SINK_PROFILES names them, e.g. `{"partner": ["https://partner.example"]}`.
 */
function readSinkOrigins(r: EnvReader): Record<string, string[]> {
  const name = 'FERRY_PROVIDER_SINK_ORIGINS';
  const raw = r.optional(name);
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    r.problem(`${name}: not a JSON object of profile name to origins`);
    return {};
  }
  const out: Record<string, string[]> = {};
  for (const [profile, origins] of Object.entries(parsed as Record<string, unknown>)) {
    const list = Array.isArray(origins) ? origins : [undefined];
    out[profile] = list.flatMap((entry) => {
      const url = typeof entry === 'string' && URL.canParse(entry) ? new URL(entry) : undefined;
      const plain = url && !url.username && !url.password && !url.search && !url.hash && url.pathname === '/';
      if (url && plain && (url.protocol === 'http:' || url.protocol === 'https:')) return [url.origin];
      r.problem(`${name}: profile "${profile}" has an entry that is not an origin (http or https://host[:port])`);
      return [];
    });
  }
  return out;
}

import type { DatabaseConfig } from '#ferry/persistence';
import type { ClientConfig } from '#ferry/auth';
import type { EnvReader } from './env.js';

export interface HttpConfig {
  port: number;
  host: string;
  bodyLimitBytes: number;
  /** Requests per second allowed per calling client before 429. */
  rateLimitPerSecond: number;
  /** /docs and /docs/openapi.json without a token (the demo); otherwise any token of the app with a scope. */
  docsPublic: boolean;
}

export interface RedisConfig {
  url: string;
  /** Prefix of every BullMQ key; a hash tag such as {ferry} keeps them in one Redis Cluster slot. */
  prefix: string;
}

export interface InboundAuthConfig {
  audience: string;
  clients: ClientConfig[];
  clockSkewSeconds: number;
}

export function readHttp(env: EnvReader, prefix: string, defaultPort: number): HttpConfig {
  return {
    port: env.int(`${prefix}_PORT`, defaultPort, 0, 65535),
    host: env.str(`${prefix}_HOST`, '0.0.0.0'),
    bodyLimitBytes: env.int('FERRY_BODY_LIMIT_BYTES', 1024 * 1024, 1024),
    rateLimitPerSecond: env.int('FERRY_RATE_LIMIT_PER_SECOND', 5000, 1),
    docsPublic: env.bool('FERRY_DOCS_PUBLIC', false),
  };
}

export function readDatabase(env: EnvReader, prefix: string, defaultFile: string): DatabaseConfig {
  const type = env.oneOf(`${prefix}_DB_TYPE`, ['sqlite', 'postgres', 'oracle'] as const, 'sqlite');
  return {
    type,
    url: env.str(`${prefix}_DB_URL`, type === 'sqlite' ? defaultFile : ''),
    poolSize: env.int(`${prefix}_DB_POOL`, 10, 1, 200),
    logging: env.bool(`${prefix}_DB_LOGGING`, false),
  };
}

export function readRedis(env: EnvReader): RedisConfig {
  return {
    url: env.str('FERRY_REDIS_URL', 'redis://127.0.0.1:6379'),
    prefix: env.str('FERRY_QUEUE_PREFIX', '{ferry}'),
  };
}

/**
 * Inbound clients: FERRY_<APP>_CLIENTS is a JSON array of {clientId, keys: [{alg, secret | publicKey, kid}]}.
 * The development default trusts the three Ferry apps with the shared demo secret.
 */
export function readInboundAuth(env: EnvReader, prefix: string, audience: string): InboundAuthConfig {
  const devSecret = env.str('FERRY_DEV_SECRET', 'ferry-dev-secret-change-me');
  const defaults: ClientConfig[] = [
    'ferry-scheduler',
    'ferry-consumer',
    'ferry-provider',
    'ferry-admin',
    'upstream-dev',
  ].map((clientId) => ({ clientId, keys: [{ alg: 'HS256' as const, secret: devSecret }] }));
  return {
    audience: env.str(`${prefix}_AUDIENCE`, audience),
    clients: env.json<ClientConfig[]>(`${prefix}_CLIENTS`, defaults),
    clockSkewSeconds: env.int('FERRY_CLOCK_SKEW_SECONDS', 30, 0, 600),
  };
}

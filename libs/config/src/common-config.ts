import type { DatabaseConfig } from '#ferry/persistence';
import type { ClientConfig } from '#ferry/auth';
import type { RedisConnectionConfig } from '#ferry/queue';
import { Scope } from '#ferry/contracts';
import { checkHs256Secret, type Development } from './development.js';
import type { EnvReader } from './env.js';
import { readRedisConnection } from './redis-url.js';

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
  /** FERRY_REDIS_URL (with _CA_FILE, _SERVER_NAME, _CLUSTER_NODES) parsed once: every connection is made from it. */
  connection: RedisConnectionConfig;
  /** Prefix of every BullMQ key; a hash tag such as {ferry} keeps them in one Redis Cluster slot. */
  prefix: string;
}

export interface InboundAuthConfig {
  audience: string;
  clients: ClientConfig[];
  clockSkewSeconds: number;
  /** Longest token lifetime accepted (`exp - iat`). */
  maxTokenLifetimeSeconds: number;
  /** Refused tokens one caller address may earn per minute before its new tokens get 429. */
  refusedTokensPerMinute: number;
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
  const connection = readRedisConnection(env);
  const prefix = env.str('FERRY_QUEUE_PREFIX', '{ferry}');
  // Else the first BullMQ script of a queue fails (CROSSSLOT): say so at boot instead.
  if (connection.cluster && !/^\{[^{}]+\}/.test(prefix))
    env.problem(
      `FERRY_QUEUE_PREFIX (${prefix}) must start with a hash tag such as {ferry} on a Redis Cluster: ` +
        "BullMQ's scripts touch many keys of a queue at once, and a cluster runs them only within one slot",
    );
  return { connection, prefix };
}

/**
 * Inbound clients: FERRY_<APP>_CLIENTS is a JSON array of
 * {clientId, keys: [{alg, secret | publicKey, kid}], scopes: [...], sources?: [...]}.
 * Only in development mode may it be left unset: the default then trusts the Ferry apps, an admin and an
 * upstream with the shared development secret, each allowed only the scopes its calls need.
 */
export function readInboundAuth(env: EnvReader, dev: Development, prefix: string, audience: string): InboundAuthConfig {
  const name = `${prefix}_CLIENTS`;
  const clients = dev.on
    ? env.json<ClientConfig[]>(name, developmentClients(env, dev))
    : env.json<ClientConfig[]>(name, []);
  if (!dev.on && env.optional(name) === undefined) {
    env.problem(
      `${name} is not set: outside development mode (FERRY_DEV_MODE=true) an app trusts only the clients ` +
        'configured there, each with its own key',
    );
  }
  checkClients(env, dev, name, clients);
  return {
    audience: env.str(`${prefix}_AUDIENCE`, audience),
    clients,
    clockSkewSeconds: env.int('FERRY_CLOCK_SKEW_SECONDS', 30, 0, 600),
    maxTokenLifetimeSeconds: env.int('FERRY_MAX_TOKEN_LIFETIME_SECONDS', 3600, 10, 86400),
    refusedTokensPerMinute: env.int('FERRY_REFUSED_TOKENS_PER_MINUTE', 60, 1),
  };
}

function developmentClients(env: EnvReader, dev: Development): ClientConfig[] {
  const providerSource = env.str('FERRY_PROVIDER_SOURCE', 'ferry-provider');
  const client = (clientId: string, scopes: string[], sources?: string[]): ClientConfig => ({
    clientId,
    keys: [{ alg: 'HS256', secret: dev.secret }],
    scopes,
    ...(sources ? { sources } : {}),
  });
  return [
    client('ferry-scheduler', [Scope.syncWrite, Scope.syncRead]),
    client('ferry-consumer', [Scope.callbacksWrite, Scope.dataRead]),
    client('ferry-provider', [Scope.triggersWrite], [providerSource]),
    client('ferry-admin', [Scope.adminRead, Scope.adminWrite]),
    // The demo's upstream both announces files (any source) and publishes them to the provider.
    client('upstream-dev', [Scope.triggersWrite, Scope.dataWrite, Scope.dataRead], ['*']),
  ];
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** A client without `scopes` would be granted nothing: say so at boot rather than 403 every call. */
function checkClients(env: EnvReader, dev: Development, name: string, clients: unknown): void {
  if (!Array.isArray(clients)) {
    env.problem(`${name} must be a JSON array of clients`);
    return;
  }
  for (const [i, c] of (clients as Array<Partial<ClientConfig>>).entries()) {
    const who = `${name}[${i}]${typeof c?.clientId === 'string' ? ` (${c.clientId})` : ''}`;
    if (!isStringList(c?.scopes)) {
      env.problem(`${who} has no "scopes" list: a client is granted only the scopes listed there`);
    }
    if (c?.sources !== undefined && !isStringList(c.sources)) {
      env.problem(`${who} "sources" must be a list of source names, prefixes such as "billing.*", or "*"`);
    }
    for (const [k, key] of (Array.isArray(c?.keys) ? c.keys : []).entries()) {
      if (key?.alg === 'HS256' && typeof key.secret === 'string') {
        checkHs256Secret(env, dev, `${who} keys[${k}].secret`, key.secret);
      }
    }
  }
}

import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Where and how to reach Redis: FERRY_REDIS_URL parsed once at boot (libs/config), so that every
 * connection, the ones BullMQ opens for itself included, authenticates, selects and verifies alike.
 */
export interface RedisConnectionConfig {
  host: string;
  port: number;
  /** An ACL user; Redis's `default` user when absent. */
  username?: string;
  password?: string;
  db: number;
  /** rediss://: TLS, always verified. */
  tls?: RedisTlsConfig;
}

export interface RedisTlsConfig {
  /** PEM of the CA(s) that signed the server's certificate (FERRY_REDIS_CA_FILE); the system's CAs when absent. */
  ca?: string;
  /** The name the server's certificate must carry (FERRY_REDIS_SERVER_NAME); the URL's host when absent. */
  serverName?: string;
}

/**
 * Workers block on Redis, so ioredis must retry forever rather than fail queued commands
 * (`maxRetriesPerRequest: null`); producers on the request path fail fast instead so that a caller
 * gets 503 rather than a hung request.
 */
function options(connection: RedisConnectionConfig, role: 'worker' | 'producer'): RedisOptions {
  const { host, port, username, password, db, tls } = connection;
  return {
    host,
    port,
    db,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(tls
      ? { tls: { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.serverName ? { servername: tls.serverName } : {}) } }
      : {}),
    maxRetriesPerRequest: role === 'worker' ? null : 2,
    enableOfflineQueue: true,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    // Commands issued in the same tick share one write: many small BullMQ scripts per batch.
    enableAutoPipelining: role === 'producer',
  };
}

export function createRedis(connection: RedisConnectionConfig, role: 'worker' | 'producer'): Redis {
  const redis = new Redis(options(connection, role));
  // First of its listeners, so whoever hears or prints an error after it sees no password.
  redis.on('error', withoutCredentials);
  return redis;
}

/**
 * ioredis puts the failed command on its errors, and a refused AUTH or HELLO carries the password
 * among its arguments (BullMQ prints an error nobody listens to whole, arguments included).
 */
function withoutCredentials(err: Error & { command?: { name?: string; args?: unknown[] } }): void {
  if (err?.command && /^(auth|hello)$/i.test(String(err.command.name))) err.command.args = ['(redacted)'];
}

/**
 * Connection options for a BullMQ worker, which opens its own connections from them (and closes them):
 * options rather than a URL, so its blocking connection is made exactly like every other one.
 */
export function workerConnection(connection: RedisConnectionConfig): ConnectionOptions {
  return options(connection, 'worker') as ConnectionOptions;
}

import type { ConnectionOptions } from 'bullmq';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/**
 * Where and how to reach Redis: FERRY_REDIS_URL (and FERRY_REDIS_CLUSTER_NODES) parsed once at boot
 * (libs/config), so that every connection, the ones BullMQ opens for itself included, authenticates,
 * selects and verifies alike.
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
  /**
   * A Redis Cluster, reached through these seed nodes (FERRY_REDIS_CLUSTER_NODES): every connection is
   * then a cluster client, `host` and `port` are not used, and `db` is 0 (a cluster has no other).
   */
  cluster?: RedisNode[];
}

export interface RedisNode {
  host: string;
  port: number;
}

export interface RedisTlsConfig {
  /** PEM of the CA(s) that signed the server's certificate (FERRY_REDIS_CA_FILE); the system's CAs when absent. */
  ca?: string;
  /** The name the server's certificate must carry (FERRY_REDIS_SERVER_NAME); the URL's host when absent. */
  serverName?: string;
}

/** One Redis or a Redis Cluster: Ferry's commands and scripts are the same on both (its keys share a slot). */
export type RedisClient = Redis | Cluster;

type Role = 'worker' | 'producer';

/**
 * What every connection to a Redis node carries, alone or in a cluster. Workers block on Redis, so
 * ioredis must retry forever rather than fail queued commands (`maxRetriesPerRequest: null`); producers
 * on the request path fail fast instead so that a caller gets 503 rather than a hung request.
 */
function nodeOptions(connection: RedisConnectionConfig, role: Role) {
  const { username, password, tls } = connection;
  return {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(tls
      ? { tls: { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.serverName ? { servername: tls.serverName } : {}) } }
      : {}),
    maxRetriesPerRequest: role === 'worker' ? null : 2,
  };
}

function options(connection: RedisConnectionConfig, role: Role): RedisOptions {
  return {
    host: connection.host,
    port: connection.port,
    db: connection.db,
    ...nodeOptions(connection, role),
    enableOfflineQueue: true,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    // Commands issued in the same tick share one write: many small BullMQ scripts per batch.
    enableAutoPipelining: role === 'producer',
  };
}

function clusterOptions(connection: RedisConnectionConfig, role: Role, lazyConnect: boolean): ClusterOptions {
  return {
    redisOptions: nodeOptions(connection, role),
    enableOfflineQueue: true,
    lazyConnect,
    clusterRetryStrategy: (times) => Math.min(times * 200, 2000),
    // Per node: the commands of a tick bound for one node share one write.
    enableAutoPipelining: role === 'producer',
  };
}

export function createRedis(connection: RedisConnectionConfig, role: Role): RedisClient {
  const redis = connection.cluster
    ? new Cluster(connection.cluster, clusterOptions(connection, role, false))
    : new Redis(options(connection, role));
  return withoutCredentials(redis);
}

/**
 * ioredis puts the failed command on its errors, and a refused AUTH or HELLO carries the password
 * among its arguments (BullMQ prints an error nobody listens to whole, arguments included). The
 * listener goes first, so whoever hears or prints an error after it sees no password.
 */
function withoutCredentials<C extends RedisClient>(redis: C): C {
  const redact = (err: Error & { command?: { name?: string; args?: unknown[] } }) => {
    if (err?.command && /^(auth|hello)$/i.test(String(err.command.name))) err.command.args = ['(redacted)'];
  };
  redis.on('error', redact);
  // A cluster tells each node's connection errors apart from its own.
  if (redis instanceof Cluster) redis.on('node error', redact);
  return redis;
}

/**
 * The connection BullMQ workers are given. For one Redis: options, from which each worker opens (and
 * closes) its own connections, made exactly like every other one. For a cluster, BullMQ needs a client:
 * it duplicates it for each worker's blocking connection and shares it for the rest, connecting it on
 * first use and never closing it, so the caller closes it with `closeWorkerConnection` once every
 * worker given it has stopped.
 */
export function workerConnection(connection: RedisConnectionConfig): ConnectionOptions {
  if (!connection.cluster) return options(connection, 'worker') as ConnectionOptions;
  return withoutCredentials(new Cluster(connection.cluster, clusterOptions(connection, 'worker', true)));
}

export function closeWorkerConnection(connection: ConnectionOptions): void {
  if (connection instanceof Cluster) connection.disconnect();
}

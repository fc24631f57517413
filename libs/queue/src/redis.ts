import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Workers block on Redis, so ioredis must retry forever rather than fail queued commands
 * (`maxRetriesPerRequest: null`); producers on the request path fail fast instead so that a caller
 * gets 503 rather than a hung request.
 */
function options(role: 'worker' | 'producer'): RedisOptions {
  return {
    maxRetriesPerRequest: role === 'worker' ? null : 2,
    enableOfflineQueue: true,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    // Commands issued in the same tick share one write: many small BullMQ scripts per batch.
    enableAutoPipelining: role === 'producer',
  };
}

export function createRedis(url: string, role: 'worker' | 'producer'): Redis {
  return new Redis(url, options(role));
}

/** Connection options for a BullMQ worker, which opens its own connections from them (and closes them). */
export function workerConnection(url: string): ConnectionOptions {
  return { url, ...options('worker') } as ConnectionOptions;
}

import { Redis } from 'ioredis';

/**
 * A connection for BullMQ. Workers block on Redis, so ioredis must retry forever rather than fail
 * queued commands (`maxRetriesPerRequest: null`); producers on the request path fail fast instead so
 * that a caller gets 503 rather than a hung request.
 */
export function createRedis(url: string, role: 'worker' | 'producer'): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 2,
    enableOfflineQueue: true,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    // Commands issued in the same tick share one write: many small BullMQ scripts per batch.
    enableAutoPipelining: role === 'producer',
  });
}

import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from '#ferry/queue';

/** Admits one request to a destination now, or says how long to wait before asking again. */
export interface SinkLimiter {
  /** 0: go; otherwise milliseconds until the destination's window has room. */
  take(url: string, perSecond: number): Promise<number>;
}

/**
 * A fixed window of one second per destination URL, counted in Redis (rate-limiter-flexible's atomic
 * INCR + PEXPIRE), so every worker thread of every consumer instance draws from the same budget.
 */
export class RedisSinkLimiter implements SinkLimiter {
  private readonly limiters = new Map<number, RateLimiterRedis>();

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async take(url: string, perSecond: number): Promise<number> {
    let limiter = this.limiters.get(perSecond);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `${this.prefix}sink-rate:${perSecond}`,
        points: perSecond,
        duration: 1,
      });
      this.limiters.set(perSecond, limiter);
    }
    try {
      await limiter.consume(url, 1);
      return 0;
    } catch (err) {
      if (err instanceof RateLimiterRes) return Math.max(1, err.msBeforeNext);
      throw err;
    }
  }
}

/** No limit configured: every request goes at once. */
export const UNLIMITED: SinkLimiter = { take: () => Promise.resolve(0) };

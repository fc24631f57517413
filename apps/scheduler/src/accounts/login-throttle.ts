import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError, ErrorCode } from '#ferry/errors';
import type { RedisClient } from '#ferry/queue';
import { REDIS, SCHEDULER_CONFIG } from '../core/tokens.js';
import type { SchedulerConfig } from '../scheduler.config.js';

/**
 * Slows password guessing: consecutive wrong passwords are counted per username and per address in
 * Redis (shared by every instance); past the limit, logins for that username or from that address are
 * answered 429 with Retry-After until the lock time has passed. A success clears the username's count.
 */
@Injectable()
export class LoginThrottle {
  private readonly byUser: RateLimiterRedis;
  private readonly byAddress: RateLimiterRedis;

  constructor(
    @Inject(REDIS) redis: RedisClient,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'portal' | 'redis'>,
  ) {
    const { loginMaxFailures: points, loginLockSeconds: duration } = config.portal;
    const prefix = `${config.redis.prefix}:portal-login`;
    this.byUser = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:user`, points, duration });
    // One address may try a few usernames (a shared office NAT), not a dictionary of them.
    this.byAddress = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${prefix}:ip`,
      points: points * 4,
      duration,
    });
  }

  /** 429 with Retry-After when the username or the address has used up its wrong passwords. */
  async check(username: string, ip: string): Promise<void> {
    const [user, address] = await Promise.all([this.byUser.get(userKey(username)), this.byAddress.get(ip)]);
    const waits = [
      spent(user, this.byUser.points) ? user!.msBeforeNext : 0,
      spent(address, this.byAddress.points) ? address!.msBeforeNext : 0,
    ];
    const ms = Math.max(...waits);
    if (ms <= 0) return;
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    throw new ApiError(ErrorCode.RATE_LIMITED, `Too many wrong passwords; retry in ${seconds}s`, [], {
      'Retry-After': String(seconds),
    });
  }

  async failed(username: string, ip: string): Promise<void> {
    await Promise.all([this.byUser.penalty(userKey(username), 1), this.byAddress.penalty(ip, 1)]);
  }

  async succeeded(username: string): Promise<void> {
    await this.byUser.delete(userKey(username));
  }
}

const userKey = (username: string) => username.toLowerCase();
const spent = (res: RateLimiterRes | null, points: number) => res !== null && res.consumedPoints >= points;

import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { TargetView } from '#ferry/contracts';
import type { RedisClient } from '#ferry/queue';
import type { GroupSpec } from '../groups/group-status.js';
import { CLOCK, type Clock, REDIS, SCHEDULER_CONFIG } from '../core/tokens.js';
import type { SchedulerConfig, TargetDefaults } from '../scheduler.config.js';
import type { BlockReason } from '../tasks/task-state.js';
import { BREAKER_FAIL, BREAKER_PASS, BREAKER_SUCCEED, PERMIT_ACQUIRE } from './target-scripts.js';

export type Admission = { ok: true } | { ok: false; reason: BlockReason; waitMs: number };

type Scripted = RedisClient & {
  ferryBreakerPass(key: string, now: number, leaseMs: number, probe: string): Promise<[number, number, number]>;
  ferryBreakerFail(key: string, now: number, threshold: number, cooldownMs: number, error: string): Promise<number>;
  ferryBreakerSucceed(key: string, now: number): Promise<number>;
  ferryPermitAcquire(key: string, now: number, leaseUntil: number, holder: string, cap: number): Promise<number>;
};

/**
 * Protects each downstream target (a URL) for all scheduler instances at once, in Redis: a circuit
 * breaker (opens after N consecutive failed sync requests, lets one probe through after a cool-down,
 * closes on success), a cap on dispatches in flight (DISPATCHED … RUNNING) and a rate limit on new ones.
 */
@Injectable()
export class TargetGuard {
  private readonly redis: Scripted;
  private readonly prefix: string;
  private readonly defaults: TargetDefaults;
  /** A probe's lease outlives its dispatch's longest wait for an answer. */
  private readonly probeLeaseMs: number;
  private readonly trustClosedMs: number;
  private readonly known = new Set<string>();
  /** What this instance last saw of a target's failures: a success needs no Redis call when it was 0. */
  private readonly failuresSeen = new Map<string, number>();
  private readonly limiters = new Map<number, RateLimiterRedis>();
  /** Targets whose breaker was seen closed with no failures, until when that sighting is trusted. */
  private readonly closedUntil = new Map<string, number>();

  constructor(
    @Inject(REDIS) redis: RedisClient,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'redis' | 'targets' | 'dispatchTimeoutMs' | 'tuning'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {
    this.prefix = config.redis.prefix;
    this.defaults = config.targets;
    this.probeLeaseMs = config.dispatchTimeoutMs + 1000;
    this.trustClosedMs = config.tuning.breakerTrustMs;
    redis.defineCommand('ferryBreakerPass', { numberOfKeys: 1, lua: BREAKER_PASS });
    redis.defineCommand('ferryBreakerFail', { numberOfKeys: 1, lua: BREAKER_FAIL });
    redis.defineCommand('ferryBreakerSucceed', { numberOfKeys: 1, lua: BREAKER_SUCCEED });
    redis.defineCommand('ferryPermitAcquire', { numberOfKeys: 1, lua: PERMIT_ACQUIRE });
    this.redis = redis as Scripted;
  }

  /** Before a new attempt is sent; `holder` (the task id) keeps its permit until the attempt ends. */
  async admit(url: string, holder: string, spec: GroupSpec): Promise<Admission> {
    const now = this.clock();
    if (!this.known.has(url)) {
      await this.redis.sadd(this.key('targets'), url);
      this.known.add(url);
    }
    if (!((this.closedUntil.get(url) ?? 0) > Date.now())) {
      const [pass, retryAt, failures] = await this.redis.ferryBreakerPass(
        this.key('breaker', url),
        now,
        this.probeLeaseMs,
        holder,
      );
      if (!pass) return { ok: false, reason: 'CIRCUIT_OPEN', waitMs: jitter(Math.max(0, Number(retryAt) - now) + 10) };
      this.failuresSeen.set(url, Number(failures));
      // Closed without failures: the admissions of the next moment skip this round trip.
      if (Number(failures) === 0) this.closedUntil.set(url, Date.now() + this.trustClosedMs);
      else this.closedUntil.delete(url);
    }
    const cap = spec.target.maxConcurrent ?? this.defaults.maxConcurrent;
    if (cap > 0) {
      const leaseUntil = now + spec.attemptTimeoutSeconds * 1000 + 60_000;
      if (!(await this.redis.ferryPermitAcquire(this.key('permits', url), now, leaseUntil, holder, cap))) {
        return { ok: false, reason: 'CONCURRENCY_LIMIT', waitMs: jitter(this.defaults.blockedRetryMs) };
      }
    }
    const rate = spec.target.ratePerSecond ?? this.defaults.ratePerSecond;
    if (rate > 0) {
      try {
        await this.limiter(rate).consume(url);
      } catch (res) {
        if (!(res instanceof RateLimiterRes)) throw res;
        return { ok: false, reason: 'RATE_LIMIT', waitMs: jitter(res.msBeforeNext + 5) };
      }
    }
    return { ok: true };
  }

  /** After a sync request: `failure` for 5xx, timeouts and unreachable; `success` when the target answered sensibly. */
  async record(url: string, outcome: 'success' | 'failure', error = ''): Promise<void> {
    const key = this.key('breaker', url);
    if (outcome === 'failure') {
      this.closedUntil.delete(url);
      this.failuresSeen.set(url, (this.failuresSeen.get(url) ?? 0) + 1);
      await this.redis.ferryBreakerFail(
        key,
        this.clock(),
        this.defaults.breakerFailures,
        this.defaults.breakerCooldownMs,
        error.slice(0, 300),
      );
    } else if (this.failuresSeen.get(url) !== 0) {
      this.failuresSeen.set(url, 0);
      await this.redis.ferryBreakerSucceed(key, this.clock());
    }
  }

  /** The attempt is over (or never went out): its permit goes back. */
  async release(items: Array<{ url: string; holder: string }>): Promise<void> {
    if (items.length)
      await Promise.all(items.map(({ url, holder }) => this.redis.zrem(this.key('permits', url), holder)));
  }

  /** Whether a group's tasks hold permits at all (so finished tasks of uncapped targets cost no Redis call). */
  capped(spec: GroupSpec | undefined): boolean {
    return (spec?.target.maxConcurrent ?? this.defaults.maxConcurrent) > 0;
  }

  async list(): Promise<TargetView[]> {
    const urls = (await this.redis.smembers(this.key('targets'))).sort();
    const now = this.clock();
    return Promise.all(
      urls.map(async (url): Promise<TargetView> => {
        const [h, inFlight] = await Promise.all([
          this.redis.hgetall(this.key('breaker', url)),
          this.redis.zcount(this.key('permits', url), now, '+inf'),
        ]);
        const at = (v: string | undefined) => (v && Number(v) > 0 ? new Date(Number(v)).toISOString() : null);
        const breaker = (h.state ?? 'CLOSED') as TargetView['breaker'];
        return {
          url,
          breaker,
          consecutiveFailures: Number(h.failures ?? 0),
          retryAt: breaker === 'CLOSED' ? null : at(h.retryAt),
          openedAt: at(h.openedAt),
          timesOpened: Number(h.timesOpened ?? 0),
          lastError: h.lastError || null,
          inFlight,
        };
      }),
    );
  }

  private limiter(rate: number): RateLimiterRedis {
    let limiter = this.limiters.get(rate);
    if (!limiter) {
      // Whole points per window: 0.5/s becomes 1 per 2 s.
      const duration = rate >= 1 ? 1 : Math.ceil(1 / rate);
      limiter = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: this.key(`rate${rate}`),
        points: Math.max(1, Math.floor(rate * duration)),
        duration,
      });
      this.limiters.set(rate, limiter);
    }
    return limiter;
  }

  private key(...parts: string[]): string {
    return `${this.prefix}:target:${parts.join(':')}`;
  }
}

/** Waiting tasks come back spread out, not all at the same instant. */
function jitter(ms: number): number {
  return Math.round(ms * (1 + Math.random() * 0.2));
}

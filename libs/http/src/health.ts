import { Controller, Get, Inject, Optional, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Public } from '#ferry/auth';
import { ApiError, ErrorCode } from '#ferry/errors';
import { Db } from '#ferry/persistence';
import type { RedisClient } from '#ferry/queue';

export const HEALTH_DB = Symbol('HEALTH_DB');
export const HEALTH_REDIS = Symbol('HEALTH_REDIS');

/** Liveness (the process answers) and readiness (its database and Redis answer). */
@ApiExcludeController()
@Public('liveness and readiness probes carry no token')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(HEALTH_DB) private readonly db: Db,
    @Optional() @Inject(HEALTH_REDIS) private readonly redis?: RedisClient,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * 503 names the dependencies that are down, never the driver's message: that text carries hosts,
   * users and versions, and this route answers anyone.
   */
  @Get('ready')
  @HealthCheck()
  async ready() {
    try {
      return await this.check();
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      const down = Object.keys((err.getResponse() as { error?: Record<string, unknown> }).error ?? {}).sort();
      const names = down.length > 0 ? down : ['a dependency'];
      const details = down.map((path) => ({ path, problem: 'down' }));
      throw new ApiError(ErrorCode.UNAVAILABLE, `Not ready: ${names.join(' and ')} down`, details, {
        'Retry-After': '5',
      });
    }
  }

  private check() {
    const checks: Array<() => PromiseLike<HealthIndicatorResult>> = [
      () =>
        this.indicators
          .check('database')
          .attempt(async () => {
            await this.db.dataSource.query(this.db.type === 'oracle' ? 'SELECT 1 FROM DUAL' : 'SELECT 1');
          })
          .withTimeout(2000),
    ];
    const redis = this.redis;
    if (redis) {
      checks.push(() =>
        this.indicators
          .check('redis')
          .attempt(async () => {
            if ((await redis.ping()) !== 'PONG') throw new Error('unexpected PING answer');
          })
          .withTimeout(2000),
      );
    }
    return this.health.check(checks);
  }
}

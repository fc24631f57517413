import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { Public } from '#ferry/auth';
import { Db } from '#ferry/persistence';

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
    @Optional() @Inject(HEALTH_REDIS) private readonly redis?: Redis,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
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

import type { InjectionToken, Provider } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import type { Redis } from 'ioredis';
import { BearerAuthGuard, JWT_VERIFIER, JwtVerifier } from '#ferry/auth';
import type { InboundAuthConfig } from '#ferry/config';
import type { Db } from '#ferry/persistence';
import { HEALTH_DB, HEALTH_REDIS } from './health.js';
import { RateLimitGuard } from './rate-limit.guard.js';

/** What every app registers: token verification, scopes, rate limit, health dependencies. */
export function commonProviders(opts: {
  auth: InboundAuthConfig;
  rateLimitPerSecond: number;
  /** The database and Redis the readiness check pings: instances, or the tokens the app provides them under. */
  db: Db | InjectionToken;
  redis?: Redis | InjectionToken;
}): Provider[] {
  const verifier = new JwtVerifier({
    audience: opts.auth.audience,
    clients: opts.auth.clients,
    clockSkewSeconds: opts.auth.clockSkewSeconds,
  });
  return [
    { provide: JWT_VERIFIER, useValue: verifier },
    // Guards run in this order: authenticate first, so the rate limit can key on the client id.
    {
      provide: APP_GUARD,
      useFactory: (reflector: Reflector) => new BearerAuthGuard(verifier, reflector),
      inject: [Reflector],
    },
    { provide: APP_GUARD, useFactory: () => new RateLimitGuard(opts.rateLimitPerSecond) },
    dependency(HEALTH_DB, opts.db),
    ...(opts.redis ? [dependency(HEALTH_REDIS, opts.redis)] : []),
  ];
}

const isToken = (v: unknown): v is InjectionToken =>
  typeof v === 'function' || typeof v === 'symbol' || typeof v === 'string';

function dependency(provide: symbol, value: object | InjectionToken): Provider {
  return isToken(value) ? { provide, useExisting: value } : { provide, useValue: value };
}

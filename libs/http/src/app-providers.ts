import type { InjectionToken, Provider } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import {
  BearerAuthGuard,
  JWT_VERIFIER,
  JwtVerifier,
  SESSION_AUTHENTICATOR,
  type SessionAuthenticator,
} from '#ferry/auth';
import type { InboundAuthConfig } from '#ferry/config';
import { HEALTH_DB, HEALTH_REDIS } from './health.js';
import { RateLimitGuard } from './rate-limit.guard.js';

/**
 * What every app registers: token verification, scopes, rate limit, health dependencies, built by
 * Nest's container from the app's config token (`select` picks the part they need) and its database
 * (and Redis, if it has one) providers, so nothing is built before the app is.
 */
export function commonProvidersFrom<C>(
  configToken: InjectionToken,
  select: (config: C) => { auth: InboundAuthConfig; rateLimitPerSecond: number },
  dbToken: InjectionToken,
  redisToken?: InjectionToken,
): Provider[] {
  return [
    {
      provide: JWT_VERIFIER,
      useFactory: (config: C) => {
        const { auth } = select(config);
        return new JwtVerifier({
          audience: auth.audience,
          clients: auth.clients,
          clockSkewSeconds: auth.clockSkewSeconds,
          maxLifetimeSeconds: auth.maxTokenLifetimeSeconds,
          refusedTokensPerMinute: auth.refusedTokensPerMinute,
        });
      },
      inject: [configToken],
    },
    // Guards run in this order: authenticate first, so the rate limit can key on the client id.
    {
      provide: APP_GUARD,
      useFactory: (verifier: JwtVerifier, reflector: Reflector, sessions?: SessionAuthenticator) =>
        new BearerAuthGuard(verifier, reflector, sessions),
      // An app with a portal provides its sessions (the scheduler's accounts module); the others have none.
      inject: [JWT_VERIFIER, Reflector, { token: SESSION_AUTHENTICATOR, optional: true }],
    },
    {
      provide: APP_GUARD,
      useFactory: (config: C) => new RateLimitGuard(select(config).rateLimitPerSecond),
      inject: [configToken],
    },
    { provide: HEALTH_DB, useExisting: dbToken },
    ...(redisToken ? [{ provide: HEALTH_REDIS, useExisting: redisToken }] : []),
  ];
}

import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError, ErrorCode } from '#ferry/errors';

export const RATE_LIMIT_PER_SECOND = Symbol('RATE_LIMIT_PER_SECOND');

/**
 * Per calling client (the verified token's issuer, a portal session's user, else the remote address)
 * requests per second.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limiter: RateLimiterMemory;

  constructor(perSecond: number) {
    this.limiter = new RateLimiterMemory({ points: perSecond, duration: 1 });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context
      .switchToHttp()
      .getRequest<{ principal?: { clientId: string; subject: string; user?: object }; ip?: string }>();
    // A portal user is a client of their own: the people signed in do not share the portal's one budget.
    const key = (req.principal?.user ? req.principal.subject : req.principal?.clientId) ?? req.ip ?? 'unknown';
    try {
      await this.limiter.consume(key);
      return true;
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      throw new ApiError(ErrorCode.RATE_LIMITED, `Too many requests from ${key}; retry in ${seconds}s`, [], {
        'Retry-After': String(seconds),
      });
    }
  }
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError, ErrorCode } from '#ferry/errors';

/**
 * Limits a flood of refused tokens, which the per-client rate limit never sees (it keys on the verified
 * client, after authentication): every 401 an address earns counts against it, and past `perMinute` of
 * them in a minute every request from that address is answered 429 before any token is looked at.
 */
export function installRefusalLimit(fastify: FastifyInstance, perMinute: number): void {
  const refusals = new RateLimiterMemory({ points: perMinute, duration: 60 });
  fastify.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const seen = await refusals.get(req.ip);
    if (!seen || seen.consumedPoints < perMinute) return;
    const seconds = Math.max(1, Math.ceil(seen.msBeforeNext / 1000));
    const err = new ApiError(ErrorCode.RATE_LIMITED, `Too many refused tokens; retry in ${seconds}s`, [], {
      'Retry-After': String(seconds),
    });
    return reply
      .status(err.status)
      .header('retry-after', String(seconds))
      .header('content-type', 'application/json; charset=utf-8')
      .send(err.toBody());
  });
  fastify.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    if (reply.statusCode !== 401) return;
    await refusals.penalty(req.ip, 1).catch((e: unknown) => {
      if (!(e instanceof RateLimiterRes)) throw e;
    });
  });
}

import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ApiError, ErrorCode } from '#ferry/errors';

const WINDOW_MS = 60_000;
/** Addresses remembered at once; past it the oldest go (a flood from very many addresses is the network's to stop). */
const ADDRESSES = 10_000;

/**
 * Limits a flood of refused tokens, which the per-client rate limit never sees (it keys on the verified
 * client, after authentication): every 401 an address earns counts against it, and past `perMinute` of
 * them in a minute every request from that address is answered 429 before any token is looked at.
 * A plain synchronous counter, not rate-limiter-flexible: every request passes the check, callbacks
 * included, and that library's limiter answers through a promise.
 */
export function installRefusalLimit(fastify: FastifyInstance, perMinute: number, clock = Date.now): void {
  const refused = new Map<string, { count: number; until: number }>();
  fastify.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const seen = refused.size ? refused.get(req.ip) : undefined;
    const now = seen ? clock() : 0;
    if (!seen || seen.count < perMinute || seen.until <= now) return done();
    const seconds = Math.max(1, Math.ceil((seen.until - now) / 1000));
    const err = new ApiError(ErrorCode.RATE_LIMITED, `Too many refused tokens; retry in ${seconds}s`);
    void reply
      .status(err.status)
      .header('retry-after', String(seconds))
      .header('content-type', 'application/json; charset=utf-8')
      .send(err.toBody());
  });
  fastify.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (reply.statusCode === 401) count(refused, req.ip, clock());
    done();
  });
}

function count(refused: Map<string, { count: number; until: number }>, ip: string, now: number): void {
  const seen = refused.get(ip);
  if (seen && seen.until > now) {
    seen.count++;
    return;
  }
  refused.delete(ip);
  if (refused.size >= ADDRESSES) refused.delete(refused.keys().next().value!);
  refused.set(ip, { count: 1, until: now + WINDOW_MS });
}

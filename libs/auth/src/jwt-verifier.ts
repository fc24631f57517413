import { Logger } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { ApiError } from '#ferry/errors';
import { decodeUnverified, quote } from './decode.js';
import { loadKeys, type LoadedKey, selectKeys } from './keys.js';
import { RefusalLimit } from './refusal-limit.js';
import type { Principal, VerifierOptions } from './types.js';

interface LoadedClient {
  keys: LoadedKey[];
  scopes: ReadonlySet<string>;
  sources: string[];
}

const unauthenticated = (message: string): ApiError => ApiError.unauthenticated(message);
/**
 * Every refusal answers this same text: telling a caller which issuer, algorithm or kid was wrong
 * helps whoever probes the configuration more than the legitimate client, whose operator has the log.
 */
export const UNAUTHENTICATED_MESSAGE = 'The bearer token is missing, malformed, expired or not trusted';
const logger = new Logger('JwtVerifier');

/** Verifies service-to-service bearer JWTs (docs/contract.md, "Service-to-service auth"). */
export class JwtVerifier {
  private readonly clients = new Map<string, LoadedClient>();
  private readonly audience: string;
  private readonly clockSkewSeconds: number;
  private readonly maxLifetimeSeconds: number;
  private readonly refusals?: RefusalLimit;
  private readonly now: () => number;
  private readonly onRefused: (reason: string) => void;

  constructor(opts: VerifierOptions) {
    this.audience = opts.audience;
    this.clockSkewSeconds = opts.clockSkewSeconds ?? 30;
    this.maxLifetimeSeconds = opts.maxLifetimeSeconds ?? 3600;
    this.refusals = opts.refusedTokensPerMinute ? new RefusalLimit(opts.refusedTokensPerMinute) : undefined;
    this.now = opts.now ?? Date.now;
    this.onRefused = opts.onRefused ?? ((reason) => logger.debug(`Token refused: ${reason}`));
    for (const client of opts.clients) {
      const loaded = this.clients.get(client.clientId) ?? { keys: [], scopes: new Set(), sources: [] };
      loaded.keys.push(...loadKeys(client));
      // A client listed twice (e.g. to add a key) keeps the union of what each entry allows.
      loaded.scopes = new Set([...loaded.scopes, ...(client.scopes ?? [])]);
      loaded.sources = [...loaded.sources, ...(client.sources ?? [])];
      this.clients.set(client.clientId, loaded);
    }
  }

  /**
   * Callers reuse a token until it nears expiry, so the same bytes arrive thousands of times: a
   * token verified once is remembered (bounded) and only its time window is checked again.
   */
  private readonly verified = new Map<string, { principal: Principal; exp: number; nbf: number }>();

  /**
   * The principal, or a 401 whose text is always UNAUTHENTICATED_MESSAGE (the reason goes to onRefused).
   * `address` (the caller's): a token not accepted before is first checked against its refusals (429).
   */
  verify(token: string, address?: string): Principal {
    const hit = typeof token === 'string' ? this.verified.get(token) : undefined;
    if (hit) {
      const now = this.now() / 1000;
      if (now <= hit.exp + this.clockSkewSeconds && now >= hit.nbf - this.clockSkewSeconds) return hit.principal;
      this.verified.delete(token);
    }
    if (this.refusals && address !== undefined) this.refusals.check(address, this.now());
    try {
      return this.verifyAndKeep(token);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
      if (this.refusals && address !== undefined) this.refusals.count(address, this.now());
      this.onRefused(err.message);
      throw ApiError.unauthenticated(UNAUTHENTICATED_MESSAGE);
    }
  }

  private verifyAndKeep(token: string): Principal {
    const principal = this.verifyFully(token);
    const claims = principal.claims as { exp: number; nbf?: number };
    if (this.verified.size >= 10_000) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { principal, exp: claims.exp, nbf: claims.nbf ?? 0 });
    return principal;
  }

  private verifyFully(token: string): Principal {
    if (typeof token !== 'string' || token.length === 0) throw unauthenticated('Missing bearer token');
    const { header, payload } = decodeUnverified(token);
    const alg = header.alg;
    if (typeof alg !== 'string' || alg.length === 0) throw unauthenticated('Token header has no alg');
    if (alg.toLowerCase() === 'none') throw unauthenticated('Unsigned tokens (alg "none") are refused');
    if (typeof payload.iss !== 'string') throw unauthenticated('Token has no iss claim');
    const iss = payload.iss;
    const client = this.clients.get(iss);
    if (!client) throw unauthenticated(`Unknown issuer ${quote(iss)}`);
    // jsonwebtoken accepts tokens without exp; the contract does not.
    if (typeof payload.exp !== 'number') throw unauthenticated('Token has no exp claim');
    const clockTimestamp = Math.floor(this.now() / 1000);
    this.checkLifetime(payload.exp, payload.iat, clockTimestamp);

    const candidates = selectKeys(client.keys, iss, alg, header.kid);
    for (const candidate of candidates) {
      let claims: jwt.JwtPayload | string;
      try {
        claims = jwt.verify(token, candidate.key, {
          algorithms: [candidate.alg],
          audience: this.audience,
          issuer: iss,
          clockTolerance: this.clockSkewSeconds,
          clockTimestamp,
        });
      } catch (err) {
        // Another HS256 key of the same client may still match (rotation without kid).
        if ((err as Error).message === 'invalid signature') continue;
        throw toApiError(err);
      }
      if (typeof claims === 'string') throw unauthenticated('Malformed token: the payload is not a JSON object');
      return toPrincipal(iss, claims, client);
    }
    throw unauthenticated('Invalid token signature');
  }

  /** A stolen long-lived token is a long-lived breach: refuse lifetimes over the configured maximum. */
  private checkLifetime(exp: number, iat: unknown, now: number): void {
    const max = this.maxLifetimeSeconds;
    if (typeof iat === 'number') {
      if (exp - iat > max) throw unauthenticated(`Token lifetime ${exp - iat}s exceeds the maximum ${max}s`);
      return;
    }
    // Without iat only the time left can be judged; the skew covers the issuer's clock running ahead.
    if (exp - now > max + this.clockSkewSeconds) {
      throw unauthenticated(`Token without iat expires in ${exp - now}s, over the maximum ${max}s`);
    }
  }
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as Error & { expiredAt?: Date; date?: Date };
  if (e.name === 'TokenExpiredError' && e.expiredAt) {
    return unauthenticated(`Token expired at ${e.expiredAt.toISOString()}`);
  }
  if (e.name === 'NotBeforeError' && e.date) return unauthenticated(`Token not valid before ${e.date.toISOString()}`);
  return unauthenticated(`Invalid token: ${e.message}`);
}

function toPrincipal(iss: string, claims: jwt.JwtPayload, client: LoadedClient): Principal {
  const scope: unknown = claims.scope;
  const claimed = typeof scope === 'string' ? scope.split(/\s+/).filter(Boolean) : [];
  return {
    clientId: iss,
    subject: typeof claims.sub === 'string' && claims.sub ? claims.sub : iss,
    scopes: [...new Set(claimed.filter((s) => client.scopes.has(s)))],
    sources: client.sources,
    ...(typeof claims.jti === 'string' ? { jti: claims.jti } : {}),
    claims: { ...claims },
  };
}

import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ApiError } from '#ferry/errors';
import { decodeUnverified, quote } from './decode.js';
import type { ClientConfig, Principal, VerifierOptions } from './types.js';

type Alg = 'HS256' | 'RS256' | 'ES256';
interface LoadedKey {
  alg: Alg;
  kid?: string;
  key: KeyObject;
}

const unauthenticated = (message: string): ApiError => ApiError.unauthenticated(message);

/** Verifies service-to-service bearer JWTs (docs/contract.md, "Service-to-service auth"). */
export class JwtVerifier {
  private readonly clients = new Map<string, LoadedKey[]>();
  private readonly audience: string;
  private readonly clockSkewSeconds: number;
  private readonly now: () => number;

  constructor(opts: VerifierOptions) {
    this.audience = opts.audience;
    this.clockSkewSeconds = opts.clockSkewSeconds ?? 30;
    this.now = opts.now ?? Date.now;
    for (const client of opts.clients) {
      const keys = this.clients.get(client.clientId) ?? [];
      keys.push(...loadKeys(client));
      this.clients.set(client.clientId, keys);
    }
  }

  /**
   * Callers reuse a token until it nears expiry, so the same bytes arrive thousands of times: a
   * token verified once is remembered (bounded) and only its time window is checked again.
   */
  private readonly verified = new Map<string, { principal: Principal; exp: number; nbf: number }>();

  verify(token: string): Principal {
    const hit = typeof token === 'string' ? this.verified.get(token) : undefined;
    if (hit) {
      const now = this.now() / 1000;
      if (now <= hit.exp + this.clockSkewSeconds && now >= hit.nbf - this.clockSkewSeconds) return hit.principal;
      this.verified.delete(token);
    }
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
    const clientKeys = this.clients.get(iss);
    if (!clientKeys) throw unauthenticated(`Unknown issuer ${quote(iss)}`);
    // jsonwebtoken accepts tokens without exp; the contract does not.
    if (typeof payload.exp !== 'number') throw unauthenticated('Token has no exp claim');

    const candidates = selectKeys(clientKeys, iss, alg, header.kid);
    const clockTimestamp = Math.floor(this.now() / 1000);
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
      return toPrincipal(iss, claims);
    }
    throw unauthenticated('Invalid token signature');
  }
}

function loadKeys(client: ClientConfig): LoadedKey[] {
  return client.keys.map((entry) => {
    if (entry.alg === 'HS256') {
      if (!entry.secret) throw new Error(`Client ${client.clientId}: empty HS256 secret`);
      return { alg: entry.alg, kid: entry.kid, key: createSecretKey(Buffer.from(entry.secret, 'utf8')) };
    }
    // Parsed once here so a bad PEM fails at start-up, not on the first request.
    const key = createPublicKey(entry.publicKey);
    const expected = entry.alg === 'RS256' ? 'rsa' : 'ec';
    if (key.asymmetricKeyType !== expected) {
      throw new Error(`Client ${client.clientId}: key ${entry.kid} is not an ${expected} key but ${entry.alg}`);
    }
    return { alg: entry.alg, kid: entry.kid, key };
  });
}

/**
 * Picks keys by the token's alg first: a token may only use an algorithm configured for its
 * client, which is what defeats the RSA-public-key-as-HMAC-secret confusion attack.
 */
function selectKeys(keys: LoadedKey[], iss: string, alg: string, kid: unknown): LoadedKey[] {
  const sameAlg = keys.filter((k) => k.alg === alg);
  if (sameAlg.length === 0) {
    throw unauthenticated(`Algorithm ${quote(alg)} is not configured for client ${quote(iss)}`);
  }
  if (kid !== undefined && typeof kid !== 'string') throw unauthenticated('Token header kid is not a string');
  if (alg !== 'HS256') {
    if (kid === undefined) throw unauthenticated(`${alg} token has no kid header`);
    const match = sameAlg.filter((k) => k.kid === kid);
    if (match.length === 0) throw unauthenticated(`Unknown kid ${quote(kid)} for client ${quote(iss)}`);
    return match;
  }
  if (kid === undefined) return sameAlg;
  const byKid = sameAlg.filter((k) => k.kid === kid);
  if (byKid.length > 0) return byKid;
  // Secrets configured without a kid cannot be told apart, so they remain candidates.
  const unnamed = sameAlg.filter((k) => k.kid === undefined);
  if (unnamed.length === 0) throw unauthenticated(`Unknown kid ${quote(kid)} for client ${quote(iss)}`);
  return unnamed;
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

function toPrincipal(iss: string, claims: jwt.JwtPayload): Principal {
  const scope: unknown = claims.scope;
  const scopes = typeof scope === 'string' ? scope.split(/\s+/).filter(Boolean) : [];
  return {
    clientId: iss,
    subject: typeof claims.sub === 'string' && claims.sub ? claims.sub : iss,
    scopes,
    ...(typeof claims.jti === 'string' ? { jti: claims.jti } : {}),
    claims: { ...claims },
  };
}

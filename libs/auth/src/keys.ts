import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { ApiError } from '#ferry/errors';
import { quote } from './decode.js';
import type { ClientConfig } from './types.js';

type Alg = 'HS256' | 'RS256' | 'ES256';
export interface LoadedKey {
  alg: Alg;
  kid?: string;
  key: KeyObject;
}

const unauthenticated = (message: string): ApiError => ApiError.unauthenticated(message);

export function loadKeys(client: ClientConfig): LoadedKey[] {
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
export function selectKeys(keys: LoadedKey[], iss: string, alg: string, kid: unknown): LoadedKey[] {
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

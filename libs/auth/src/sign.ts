import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { SigningProfile } from './types.js';

/** Signs a service-to-service token; `now` is in milliseconds (default Date.now()). */
export function signToken(profile: SigningProfile, now: number = Date.now()): string {
  if (!Number.isFinite(profile.ttlSeconds) || profile.ttlSeconds <= 0) {
    throw new Error(`ttlSeconds must be a positive number, got ${profile.ttlSeconds}`);
  }
  const iat = Math.floor(now / 1000);
  const payload = {
    iss: profile.issuer,
    sub: profile.subject ?? profile.issuer,
    aud: profile.audience,
    scope: profile.scopes.join(' '),
    iat,
    exp: iat + Math.floor(profile.ttlSeconds),
    jti: randomUUID(),
  };
  const { key } = profile;
  const options: jwt.SignOptions = { algorithm: key.alg };
  // jsonwebtoken rejects `keyid: undefined`, so only set it when there is one.
  if (key.kid !== undefined) options.keyid = key.kid;
  return jwt.sign(payload, key.alg === 'HS256' ? key.secret : key.privateKey, options);
}

import { signToken } from '#ferry/auth';

export const DEV_SECRET = 'ferry-dev-secret-change-me';

/** An HS256 token as one of the default dev clients would send it. */
export function devToken(
  audience: string,
  scopes: string[],
  issuer = 'upstream-dev',
  secret = DEV_SECRET,
  ttlSeconds = 300,
): string {
  return signToken({ issuer, audience, scopes, ttlSeconds, key: { alg: 'HS256', secret } });
}

import { signToken } from '#ferry/auth';
import { DEV_SECRET } from '#ferry/config';

export { DEV_SECRET };

/** What every app a test starts needs: development mode trusts the development secret and clients. */
export const DEV_MODE_ENV = { FERRY_DEV_MODE: 'true' } as const;

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

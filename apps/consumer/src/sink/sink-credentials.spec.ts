import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { TokenCache } from '#ferry/auth';
import { SinkCredentials } from './sink-credentials.js';
import type { JwtSinkProfile } from './sink-profiles.js';

const SECRET = 'hs256-secret-that-is-32-bytes-long!!';
const profile: JwtSinkProfile = {
  name: 'ledger',
  type: 'jwt',
  alg: 'HS256',
  secret: SECRET,
  issuer: 'ferry-consumer',
  audience: 'ledger-api',
  scopes: ['records:write'],
  ttlSeconds: 300,
};

function bearer(headers: Record<string, string>): string {
  expect(headers.authorization).toMatch(/^Bearer /);
  return headers.authorization.slice('Bearer '.length);
}

describe('SinkCredentials', () => {
  it("sends an API key profile's key in its header", () => {
    const creds = new SinkCredentials({ name: 'p', type: 'apiKey', header: 'x-api-key', key: 'k' }, new TokenCache());
    expect(creds.headers()).toEqual({ 'x-api-key': 'k' });
  });

  it('signs an HS256 token with the profile claims, and reuses it until near expiry', () => {
    const t = { now: Date.UTC(2026, 11, 7, 12, 0, 0) };
    const creds = new SinkCredentials(profile, new TokenCache(60, () => t.now));
    const first = bearer(creds.headers());
    const claims = jwt.verify(first, SECRET, {
      algorithms: ['HS256'],
      issuer: 'ferry-consumer',
      audience: 'ledger-api',
      clockTimestamp: t.now / 1000,
    }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ scope: 'records:write', iat: t.now / 1000, exp: t.now / 1000 + 300 });
    t.now += 239_000;
    expect(bearer(creds.headers())).toBe(first);
    t.now += 1_000;
    const second = bearer(creds.headers());
    expect(second).not.toBe(first);
    expect((jwt.decode(second) as jwt.JwtPayload).iat).toBe(t.now / 1000);
  });

  it('signs RS256 with the private key, naming the profile as kid when none is given', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const creds = new SinkCredentials({ ...profile, alg: 'RS256', secret: pem }, new TokenCache());
    const token = bearer(creds.headers());
    expect(jwt.decode(token, { complete: true })?.header).toMatchObject({ alg: 'RS256', kid: 'ledger' });
    expect(() => jwt.verify(token, rsa.publicKey, { algorithms: ['RS256'], audience: 'ledger-api' })).not.toThrow();
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { JwtVerifier } from './jwt-verifier.js';
import { signToken } from './sign.js';
import { TokenCache } from './token-cache.js';
import type { SigningProfile } from './types.js';

const NOW = Date.UTC(2026, 10, 24, 6, 0, 0);
const profile: SigningProfile = {
  issuer: 'ferry-scheduler',
  audience: 'ferry-consumer',
  scopes: ['sync:write', 'sync:read'],
  ttlSeconds: 300,
  key: { alg: 'HS256', secret: 's3cret' },
};

describe('signToken', () => {
  it('sets iss, sub, aud, scope, iat, exp and jti', () => {
    const decoded = jwt.decode(signToken(profile, NOW), { complete: true });
    expect(decoded?.header).toEqual({ alg: 'HS256', typ: 'JWT' });
    const payload = decoded?.payload as jwt.JwtPayload;
    expect(payload).toMatchObject({
      iss: 'ferry-scheduler',
      sub: 'ferry-scheduler',
      aud: 'ferry-consumer',
      scope: 'sync:write sync:read',
      iat: NOW / 1000,
      exp: NOW / 1000 + 300,
    });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect((jwt.decode(signToken(profile, NOW)) as jwt.JwtPayload).jti).not.toBe(payload.jti);
  });

  it('uses the given subject and sets the kid header', () => {
    const t = signToken({ ...profile, subject: 'operator-7', key: { alg: 'HS256', secret: 's', kid: 'k2' } }, NOW);
    const decoded = jwt.decode(t, { complete: true });
    expect(decoded?.header.kid).toBe('k2');
    expect((decoded?.payload as jwt.JwtPayload).sub).toBe('operator-7');
  });

  it('signs RS256 and ES256 tokens that the verifier accepts', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pub = (k: typeof rsa.publicKey): string => k.export({ type: 'spki', format: 'pem' }) as string;
    const priv = (k: typeof rsa.privateKey): string => k.export({ type: 'pkcs8', format: 'pem' }) as string;
    const verifier = new JwtVerifier({
      audience: 'ferry-consumer',
      now: () => NOW,
      clients: [
        {
          clientId: 'ferry-scheduler',
          keys: [
            { alg: 'RS256', kid: 'r', publicKey: pub(rsa.publicKey) },
            { alg: 'ES256', kid: 'e', publicKey: pub(ec.publicKey) },
          ],
          scopes: ['sync:write', 'sync:read'],
        },
      ],
    });
    for (const key of [
      { alg: 'RS256', kid: 'r', privateKey: priv(rsa.privateKey) },
      { alg: 'ES256', kid: 'e', privateKey: priv(ec.privateKey) },
    ] as const) {
      const principal = verifier.verify(signToken({ ...profile, key }, NOW));
      expect(principal).toMatchObject({ clientId: 'ferry-scheduler', scopes: ['sync:write', 'sync:read'] });
    }
  });

  it('refuses a non-positive ttl', () => {
    expect(() => signToken({ ...profile, ttlSeconds: 0 }, NOW)).toThrow(/ttlSeconds/);
  });
});

describe('TokenCache', () => {
  it('reuses a token until exp - margin, then signs a new one', () => {
    let now = NOW;
    const cache = new TokenCache(60, () => now);
    const first = cache.get('consumer', profile);
    now += 239_000;
    expect(cache.get('consumer', profile)).toBe(first);
    now += 1_000;
    const second = cache.get('consumer', profile);
    expect(second).not.toBe(first);
    expect((jwt.decode(second) as jwt.JwtPayload).iat).toBe(now / 1000);
  });

  it('keeps profiles apart and re-signs when a profile changes', () => {
    const cache = new TokenCache(60, () => NOW);
    const a = cache.get('a', profile);
    expect(cache.get('b', profile)).not.toBe(a);
    expect(cache.get('a', profile)).toBe(a);
    const widened = cache.get('a', { ...profile, scopes: ['sync:write'] });
    expect(widened).not.toBe(a);
    expect((jwt.decode(widened) as jwt.JwtPayload).scope).toBe('sync:write');
  });

  it('still caches tokens shorter-lived than the margin', () => {
    let now = NOW;
    const cache = new TokenCache(60, () => now);
    const short = { ...profile, ttlSeconds: 20 };
    const first = cache.get('short', short);
    now += 9_000;
    expect(cache.get('short', short)).toBe(first);
    now += 1_000;
    expect(cache.get('short', short)).not.toBe(first);
  });
});

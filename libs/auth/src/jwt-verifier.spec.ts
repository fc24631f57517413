import { createHmac, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { ApiError, ErrorCode } from '#ferry/errors';
import { JwtVerifier, UNAUTHENTICATED_MESSAGE } from './jwt-verifier.js';
import { signToken } from './sign.js';
import type { SigningKey, VerifierOptions } from './types.js';

const NOW = Date.UTC(2026, 10, 24, 6, 0, 0);
const AUD = 'ferry-scheduler';
function pemPair(type: 'rsa' | 'ec'): { publicKey: string; privateKey: string } {
  const pair =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
const rsaOld = pemPair('rsa');
const rsaNew = pemPair('rsa');
const ec = pemPair('ec');

const refusals: string[] = [];
const options: VerifierOptions = {
  audience: AUD,
  now: () => NOW,
  onRefused: (reason) => refusals.push(reason),
  clients: [
    {
      clientId: 'billing',
      keys: [
        { alg: 'HS256', secret: 'billing-old' },
        { alg: 'HS256', secret: 'billing-new' },
      ],
      scopes: ['triggers:write', 'admin:read'],
    },
    {
      clientId: 'named',
      keys: [
        { alg: 'HS256', kid: 'k1', secret: 'named-1' },
        { alg: 'HS256', kid: 'k2', secret: 'named-2' },
      ],
      scopes: [],
    },
    {
      clientId: 'crm',
      keys: [
        { alg: 'RS256', kid: 'rsa-2025', publicKey: rsaOld.publicKey },
        { alg: 'RS256', kid: 'rsa-2026', publicKey: rsaNew.publicKey },
      ],
      scopes: [],
    },
    { clientId: 'erp', keys: [{ alg: 'ES256', kid: 'ec-1', publicKey: ec.publicKey }], scopes: [] },
  ],
};
const verifier = new JwtVerifier(options);

function token(issuer: string, key: SigningKey, at = NOW, ttlSeconds = 300, audience = AUD): string {
  return signToken({ issuer, audience, scopes: ['triggers:write', 'admin:read'], ttlSeconds, key }, at);
}
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
function rawHs256(header: object, payload: object, secret: string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
const claims = (extra: object = {}): object => ({
  iss: 'billing',
  aud: AUD,
  iat: NOW / 1000,
  exp: NOW / 1000 + 300,
  ...extra,
});

function expectUnauthenticated(fn: () => unknown, message?: RegExp): void {
  refusals.length = 0;
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ApiError);
  expect((caught as ApiError).code).toBe(ErrorCode.UNAUTHENTICATED);
  // The caller learns nothing of the reason; the log line (onRefused) names it.
  expect((caught as ApiError).message).toBe(UNAUTHENTICATED_MESSAGE);
  expect((caught as ApiError).status).toBe(401);
  if (message) expect(refusals.at(-1)).toMatch(message);
}

describe('JwtVerifier', () => {
  it('accepts a valid HS256 token and builds the principal', () => {
    const p = verifier.verify(token('billing', { alg: 'HS256', secret: 'billing-old' }));
    expect(p.clientId).toBe('billing');
    expect(p.subject).toBe('billing');
    expect(p.scopes).toEqual(['triggers:write', 'admin:read']);
    expect(typeof p.jti).toBe('string');
    expect(p.claims.aud).toBe(AUD);
  });

  it('refuses an unknown iss', () => {
    expectUnauthenticated(() => verifier.verify(token('stranger', { alg: 'HS256', secret: 'x' })), /Unknown issuer/);
  });

  it('refuses alg none, even unsigned with a known iss', () => {
    for (const alg of ['none', 'None', 'NONE']) {
      const unsigned = `${b64({ alg, typ: 'JWT' })}.${b64(claims())}.`;
      expectUnauthenticated(() => verifier.verify(unsigned), /alg "none"/);
    }
  });

  it('refuses an HS256 token signed with the RSA public key (algorithm confusion)', () => {
    const forged = rawHs256({ alg: 'HS256', kid: 'rsa-2026' }, claims({ iss: 'crm' }), rsaNew.publicKey);
    expectUnauthenticated(() => verifier.verify(forged), /"HS256" is not configured for client "crm"/);
  });

  it('refuses an algorithm the client does not have (RS256 for an ES256-only client)', () => {
    const t = token('erp', { alg: 'RS256', kid: 'ec-1', privateKey: rsaNew.privateKey });
    expectUnauthenticated(() => verifier.verify(t), /not configured/);
  });

  it('picks RS256 and ES256 keys by kid', () => {
    expect(
      verifier.verify(token('crm', { alg: 'RS256', kid: 'rsa-2026', privateKey: rsaNew.privateKey })).clientId,
    ).toBe('crm');
    expect(verifier.verify(token('erp', { alg: 'ES256', kid: 'ec-1', privateKey: ec.privateKey })).clientId).toBe(
      'erp',
    );
  });

  it('refuses an unknown or missing kid for public keys', () => {
    const unknown = token('crm', { alg: 'RS256', kid: 'rsa-1999', privateKey: rsaNew.privateKey });
    expectUnauthenticated(() => verifier.verify(unknown), /Unknown kid "rsa-1999"/);
    const noKid = jwt.sign(claims({ iss: 'crm' }), rsaNew.privateKey, { algorithm: 'RS256' });
    expectUnauthenticated(() => verifier.verify(noKid), /no kid/);
  });

  it('refuses a key whose kid names a different key', () => {
    const t = token('crm', { alg: 'RS256', kid: 'rsa-2025', privateKey: rsaNew.privateKey });
    expectUnauthenticated(() => verifier.verify(t), /Invalid token/);
  });

  it('accepts old and new keys during rotation', () => {
    expect(
      verifier.verify(token('crm', { alg: 'RS256', kid: 'rsa-2025', privateKey: rsaOld.privateKey })).clientId,
    ).toBe('crm');
    expect(verifier.verify(token('billing', { alg: 'HS256', secret: 'billing-old' })).clientId).toBe('billing');
    expect(verifier.verify(token('billing', { alg: 'HS256', secret: 'billing-new' })).clientId).toBe('billing');
    expect(verifier.verify(token('named', { alg: 'HS256', secret: 'named-2' })).clientId).toBe('named');
    expect(verifier.verify(token('named', { alg: 'HS256', kid: 'k1', secret: 'named-1' })).clientId).toBe('named');
  });

  it('refuses a bad HS256 signature and an unknown HS256 kid', () => {
    expectUnauthenticated(() => verifier.verify(token('billing', { alg: 'HS256', secret: 'guess' })), /signature/);
    expectUnauthenticated(() => verifier.verify(token('billing', { alg: 'HS256', secret: 'named-1' })), /signature/);
    const t = token('named', { alg: 'HS256', kid: 'k9', secret: 'named-1' });
    expectUnauthenticated(() => verifier.verify(t), /Unknown kid "k9"/);
  });

  it('refuses a tampered payload', () => {
    const [h, , s] = token('billing', { alg: 'HS256', secret: 'billing-old' }).split('.');
    const tampered = `${h}.${b64(claims({ scope: 'admin:write' }))}.${s}`;
    expectUnauthenticated(() => verifier.verify(tampered), /signature/);
  });

  it("refuses a token signed with another client's secret", () => {
    const t = rawHs256({ alg: 'HS256' }, claims({ iss: 'named' }), 'billing-old');
    expectUnauthenticated(() => verifier.verify(t), /signature/);
  });

  it('fails fast on a public key of the wrong type', () => {
    const clients = [
      { clientId: 'x', keys: [{ alg: 'ES256', kid: 'k', publicKey: rsaNew.publicKey } as const], scopes: [] },
    ];
    expect(() => new JwtVerifier({ audience: AUD, clients })).toThrow(/not an ec key/);
  });
});

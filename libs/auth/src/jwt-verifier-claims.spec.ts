import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ApiError, ErrorCode } from '#ferry/errors';
import { JwtVerifier, UNAUTHENTICATED_MESSAGE } from './jwt-verifier.js';
import { signToken } from './sign.js';
import type { VerifierOptions } from './types.js';

// Claim checks (time, audience, shape); key selection is covered in jwt-verifier.spec.ts.
const NOW = Date.UTC(2026, 10, 24, 6, 0, 0);
const AUD = 'ferry-scheduler';
const refusals: string[] = [];
const options: VerifierOptions = {
  audience: AUD,
  now: () => NOW,
  onRefused: (reason) => refusals.push(reason),
  clients: [{ clientId: 'billing', keys: [{ alg: 'HS256', secret: 'billing-old' }], scopes: ['triggers:write'] }],
};
const verifier = new JwtVerifier(options);

const token = (
  issuer: string,
  key: { alg: 'HS256'; secret: string },
  at = NOW,
  ttlSeconds = 300,
  audience = AUD,
): string => signToken({ issuer, audience, scopes: ['triggers:write'], ttlSeconds, key }, at);
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

function expectUnauthenticated(fn: () => unknown, message: RegExp): void {
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
  expect(refusals.at(-1)).toMatch(message);
}

describe('JwtVerifier claims', () => {
  it('refuses a token expired beyond the clock skew and accepts one within it', () => {
    const key = { alg: 'HS256', secret: 'billing-old' } as const;
    expectUnauthenticated(() => verifier.verify(token('billing', key, NOW - 331_000, 300)), /expired/);
    expect(verifier.verify(token('billing', key, NOW - 320_000, 300)).clientId).toBe('billing');
    const strict = new JwtVerifier({ ...options, clockSkewSeconds: 0 });
    expectUnauthenticated(() => strict.verify(token('billing', key, NOW - 301_000, 300)), /expired/);
  });

  it('refuses nbf in the future beyond the skew and accepts it within', () => {
    const future = rawHs256({ alg: 'HS256' }, claims({ nbf: NOW / 1000 + 31 }), 'billing-old');
    expectUnauthenticated(() => verifier.verify(future), /not valid before/);
    const soon = rawHs256({ alg: 'HS256' }, claims({ nbf: NOW / 1000 + 29 }), 'billing-old');
    expect(verifier.verify(soon).clientId).toBe('billing');
  });

  it('checks aud as a string or an array', () => {
    const key = { alg: 'HS256', secret: 'billing-old' } as const;
    expectUnauthenticated(() => verifier.verify(token('billing', key, NOW, 300, 'ferry-consumer')), /audience/);
    const listed = rawHs256({ alg: 'HS256' }, claims({ aud: ['ferry-consumer', AUD] }), 'billing-old');
    expect(verifier.verify(listed).clientId).toBe('billing');
    const notListed = rawHs256({ alg: 'HS256' }, claims({ aud: ['ferry-consumer'] }), 'billing-old');
    expectUnauthenticated(() => verifier.verify(notListed), /audience/);
    const none = rawHs256({ alg: 'HS256' }, claims({ aud: undefined }), 'billing-old');
    expectUnauthenticated(() => verifier.verify(none), /audience/);
  });

  it('refuses malformed tokens', () => {
    for (const bad of [
      '',
      'abc',
      'a.b',
      'a.b.c.d',
      '!!.??.x',
      `${b64('str')}.${b64(claims())}.x`,
      'e30.bm90IGpzb24.x',
    ]) {
      expectUnauthenticated(() => verifier.verify(bad), /Malformed|Missing/);
    }
  });

  it('refuses a token without exp or iss', () => {
    const noExp = rawHs256({ alg: 'HS256' }, claims({ exp: undefined }), 'billing-old');
    expectUnauthenticated(() => verifier.verify(noExp), /no exp/);
    const noIss = rawHs256({ alg: 'HS256' }, claims({ iss: undefined }), 'billing-old');
    expectUnauthenticated(() => verifier.verify(noIss), /no iss/);
  });
});

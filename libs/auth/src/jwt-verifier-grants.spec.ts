import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ApiError, ErrorCode } from '#ferry/errors';
import { JwtVerifier, UNAUTHENTICATED_MESSAGE } from './jwt-verifier.js';
import { signToken } from './sign.js';
import { sourceAllowed } from './sources.js';
import type { ClientConfig } from './types.js';

// What a token is granted (scopes, sources) and how long it may live; signatures are in jwt-verifier.spec.ts.
const NOW = Date.UTC(2026, 10, 24, 6, 0, 0);
const AUD = 'ferry-scheduler';
const key = (secret: string) => ({ alg: 'HS256', secret }) as const;
const clients: ClientConfig[] = [
  { clientId: 'billing', keys: [key('billing')], scopes: ['triggers:write'], sources: ['billing.*'] },
  { clientId: 'legacy', keys: [key('legacy')] } as unknown as ClientConfig,
];
const refusals: string[] = [];
const verifier = new JwtVerifier({ audience: AUD, clients, now: () => NOW, onRefused: (r) => refusals.push(r) });
const token = (issuer: string, scopes: string[], ttlSeconds = 300): string =>
  signToken({ issuer, audience: AUD, scopes, ttlSeconds, key: key(issuer) }, NOW);
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
function raw(payload: object): string {
  const input = `${b64({ alg: 'HS256' })}.${b64({ iss: 'billing', aud: AUD, ...payload })}`;
  return `${input}.${createHmac('sha256', 'billing').update(input).digest('base64url')}`;
}
function refusal(fn: () => unknown): { error: ApiError; reason: string | undefined } {
  refusals.length = 0;
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return { error: error as ApiError, reason: refusals.at(-1) };
  }
  throw new Error('expected a refusal');
}

describe('JwtVerifier grants', () => {
  it('grants only the claimed scopes the client is configured for', () => {
    const p = verifier.verify(token('billing', ['triggers:write', 'admin:write', 'admin:read']));
    expect(p.scopes).toEqual(['triggers:write']);
    expect(p.sources).toEqual(['billing.*']);
    expect(verifier.verify(token('billing', ['admin:write'])).scopes).toEqual([]);
  });

  it('grants nothing to a client configured without scopes', () => {
    const p = verifier.verify(token('legacy', ['admin:write', 'triggers:write']));
    expect(p.scopes).toEqual([]);
    expect(p.sources).toEqual([]);
  });

  it('refuses a lifetime (exp - iat) over the maximum and accepts it at the maximum', () => {
    expect(verifier.verify(token('billing', ['triggers:write'], 3600)).clientId).toBe('billing');
    const long = refusal(() => verifier.verify(token('billing', ['triggers:write'], 3601)));
    expect(long.error.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(long.reason).toMatch(/lifetime 3601s exceeds the maximum 3600s/);
    const strict = new JwtVerifier({
      audience: AUD,
      clients,
      now: () => NOW,
      maxLifetimeSeconds: 60,
      onRefused: () => {},
    });
    expect(() => strict.verify(token('billing', [], 61))).toThrow(ApiError);
    expect(strict.verify(token('billing', [], 60)).clientId).toBe('billing');
  });

  it('judges a token without iat by the time it has left', () => {
    const s = NOW / 1000;
    expect(verifier.verify(raw({ exp: s + 3600 })).clientId).toBe('billing');
    expect(refusal(() => verifier.verify(raw({ exp: s + 24 * 3600 }))).reason).toMatch(/without iat/);
    // An iat far in the past does not make a short remaining life acceptable.
    expect(refusal(() => verifier.verify(raw({ iat: s - 7200, exp: s + 60 }))).reason).toMatch(/lifetime/);
  });

  it('answers every refusal with one text naming no issuer, algorithm or reason', () => {
    const messages = [
      () => verifier.verify(''),
      () => verifier.verify(token('stranger', [])),
      () => verifier.verify(token('billing', [], 7200)),
      () => verifier.verify(signToken({ issuer: 'billing', audience: AUD, scopes: [], ttlSeconds: 60, key: key('x') })),
      () => verifier.verify(`${b64({ alg: 'none' })}.${b64({ iss: 'billing' })}.`),
    ].map((fn) => refusal(fn).error);
    for (const error of messages) {
      expect(error.status).toBe(401);
      expect(error.message).toBe(UNAUTHENTICATED_MESSAGE);
      expect(error.details).toEqual([]);
    }
    expect(UNAUTHENTICATED_MESSAGE).not.toMatch(/billing|stranger|HS256|none|issuer|alg/i);
  });
});

describe('sourceAllowed', () => {
  it('matches exact names, dotted prefixes and the wildcard', () => {
    expect(sourceAllowed(['erp'], 'erp')).toBe(true);
    expect(sourceAllowed(['erp'], 'erp2')).toBe(false);
    expect(sourceAllowed(['billing.*'], 'billing.invoices')).toBe(true);
    expect(sourceAllowed(['billing.*'], 'billing.')).toBe(false);
    expect(sourceAllowed(['billing.*'], 'billing')).toBe(false);
    expect(sourceAllowed(['billing.*'], 'billingx.invoices')).toBe(false);
    expect(sourceAllowed(['*'], 'anything')).toBe(true);
    expect(sourceAllowed([], 'erp')).toBe(false);
  });
});

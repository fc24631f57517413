import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { parseSinkProfiles } from './sink-profiles.js';

const SECRET = 'hs256-secret-that-is-32-bytes-long!!';
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const EC_PEM = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const jwtProfile = {
  name: 'ledger',
  type: 'jwt',
  alg: 'HS256',
  secret: SECRET,
  issuer: 'ferry-consumer',
  audience: 'ledger-api',
};

describe('parseSinkProfiles', () => {
  it('keeps the old profile=header:key form: API keys without origins', () => {
    expect(parseSinkProfiles('partner=X-Api-Key:abc:def', false)).toEqual({
      profiles: { partner: { name: 'partner', type: 'apiKey', header: 'x-api-key', key: 'abc:def' } },
      problems: [],
    });
  });

  it('reads a JSON array of API-key and JWT profiles, with origins as URL.origin writes them', () => {
    const raw = JSON.stringify([
      { name: 'partner', type: 'apiKey', header: 'X-Api-Key', key: 'k1', origins: ['https://Partner.example:443/'] },
      { ...jwtProfile, scopes: ['records:write'], ttlSeconds: 120, kid: 'k-1' },
      { name: 'signed', type: 'jwt', alg: 'ES256', secret: EC_PEM, issuer: 'i', audience: 'a' },
    ]);
    const { profiles, problems } = parseSinkProfiles(raw, false);
    expect(problems).toEqual([]);
    expect(profiles.partner).toEqual({
      name: 'partner',
      type: 'apiKey',
      header: 'x-api-key',
      key: 'k1',
      origins: ['https://partner.example'],
    });
    expect(profiles.ledger).toEqual({ ...jwtProfile, scopes: ['records:write'], ttlSeconds: 120, kid: 'k-1' });
    expect(profiles.signed).toMatchObject({ alg: 'ES256', scopes: [], ttlSeconds: 300 });
    expect(profiles.signed).not.toHaveProperty('origins');
  });

  it('wants a 32-byte HS256 secret outside development mode, and a private key of the right kind', () => {
    const short = JSON.stringify([{ ...jwtProfile, secret: 'short-secret' }]);
    expect(parseSinkProfiles(short, false).problems).toEqual([
      'profile "ledger": "secret" must be at least 32 bytes outside development mode',
    ]);
    expect(parseSinkProfiles(short, true).problems).toEqual([]);
    const rsaWithEc = JSON.stringify([{ ...jwtProfile, alg: 'RS256', secret: EC_PEM }]);
    expect(parseSinkProfiles(rsaWithEc, true).problems).toEqual([
      'profile "ledger": "secret" must be an RSA private key in PEM for RS256',
    ]);
  });

  it('lists every problem by profile and field, and never quotes a key or a secret', () => {
    const raw = JSON.stringify([
      { name: 'a', type: 'apiKey', header: 'bad header', key: 'key-value-1' },
      { name: 'b', type: 'jwt', alg: 'none', secret: 'secret-value-2', issuer: '', audience: 'x', ttlSeconds: 5 },
      { name: 'c', type: 'apiKey', header: 'x', key: 'key-value-3', origins: ['https://c.example/path'] },
      { name: 'c', type: 'apiKey', header: 'x', key: 'key-value-4' },
      { name: 'D', type: 'basic' },
    ]);
    const { profiles, problems } = parseSinkProfiles(raw, false);
    expect(profiles).toEqual({});
    expect(problems).toEqual([
      'profile "a": "header" must be a header name',
      'profile "b": "alg" must be HS256, RS256 or ES256',
      'profile "b": "issuer" must be a non-empty string',
      'profile "b": "ttlSeconds" must be an integer from 10 to 86400',
      'profile "c": "origins": "https://c.example/path" is not an origin (http or https://host[:port], no path)',
      'profile "c" is defined twice',
      'profile 5: "name" must be a-z, 0-9, _ and - (up to 64)',
    ]);
    expect(problems.join('\n')).not.toMatch(/key-value|secret-value/);
    expect(parseSinkProfiles(`[{"name": "x", "key": "leaked-${SECRET}"`, false).problems).toEqual([
      'is not valid JSON',
    ]);
    expect(parseSinkProfiles('x=y', false).problems).toEqual([
      'an entry is not profile=header:key (profile names: a-z, 0-9, _ and -)',
    ]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { consumerConfigFromEnv } from './config.js';

const dev = { FERRY_DEV_MODE: 'true' };

describe('FERRY_CONSUMER_SCHEDULER_ORIGINS', () => {
  it("is any loopback origin by development mode's default, and replaces it when set", () => {
    expect(consumerConfigFromEnv(dev).schedulerOrigins).toEqual({ origins: [], loopback: true });
    const set = { ...dev, FERRY_CONSUMER_SCHEDULER_ORIGINS: 'https://Ferry.example.com:443/, http://scheduler:3000' };
    expect(consumerConfigFromEnv(set).schedulerOrigins).toEqual({
      origins: ['https://ferry.example.com', 'http://scheduler:3000'],
      loopback: false,
    });
  });

  it('is required outside development mode, and each entry must be an origin', () => {
    expect(() => consumerConfigFromEnv({})).toThrow(
      /FERRY_CONSUMER_SCHEDULER_ORIGINS is not set: outside development mode the consumer reports only/,
    );
    const bad = { ...dev, FERRY_CONSUMER_SCHEDULER_ORIGINS: 'https://ok.example.com,https://x.example.com/cb,ftp://y' };
    expect(() => consumerConfigFromEnv(bad)).toThrow(/"https:\/\/x\.example\.com\/cb" is not an origin/);
    expect(() => consumerConfigFromEnv(bad)).toThrow(/"ftp:\/\/y" is not an origin/);
  });
});

describe('FERRY_CONSUMER_SINK_PROFILES', () => {
  it('names the header and key each sink profile sends, and never quotes a key in a problem', () => {
    const set = { ...dev, FERRY_CONSUMER_SINK_PROFILES: 'partner=X-Api-Key:abc:def, other=authorization:Bearer t' };
    expect(consumerConfigFromEnv(set).sinks.authProfiles).toEqual({
      partner: { name: 'partner', type: 'apiKey', header: 'x-api-key', key: 'abc:def' },
      other: { name: 'other', type: 'apiKey', header: 'authorization', key: 'Bearer t' },
    });
    const bad = { ...dev, FERRY_CONSUMER_SINK_PROFILES: 'Partner=x-api-key:hidden-value' };
    expect(() => consumerConfigFromEnv(bad)).toThrow(
      /FERRY_CONSUMER_SINK_PROFILES: an entry is not profile=header:key/,
    );
    expect(() => consumerConfigFromEnv(bad)).not.toThrow(/hidden-value/);
  });

  it('takes a JSON array of profiles, and stops the boot naming the profile, never its secret', () => {
    const jwtProfile = { name: 'ledger', type: 'jwt', alg: 'HS256', issuer: 'i', audience: 'a' };
    const ok = { ...dev, FERRY_CONSUMER_SINK_PROFILES: JSON.stringify([{ ...jwtProfile, secret: 'dev-secret' }]) };
    expect(consumerConfigFromEnv(ok).sinks).toMatchObject({
      development: true,
      authProfiles: { ledger: { type: 'jwt', secret: 'dev-secret', ttlSeconds: 300 } },
    });
    const weak = {
      FERRY_CONSUMER_SCHEDULER_ORIGINS: 'https://ferry.example.com',
      FERRY_CONSUMER_SINK_PROFILES: JSON.stringify([{ ...jwtProfile, secret: 'weak-secret-value' }]),
    };
    expect(() => consumerConfigFromEnv(weak)).toThrow(/profile "ledger": "secret" must be at least 32 bytes/);
    expect(() => consumerConfigFromEnv(weak)).not.toThrow(/weak-secret-value/);
  });
});

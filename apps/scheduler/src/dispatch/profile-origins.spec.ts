import { describe, expect, it } from '@jest/globals';
import { profileAllows, profileRefusal } from './profile-origins.js';

describe('profileAllows', () => {
  const origins = ['https://ledger.example.com', 'http://consumer-1:3001'];

  it('sends to a URL under one of the profile origins, compared as origins', () => {
    expect(profileAllows(origins, 'https://ledger.example.com', false)).toBe(true);
    expect(profileAllows(origins, 'https://LEDGER.example.com:443/base/', false)).toBe(true);
    expect(profileAllows(origins, 'http://consumer-1:3001/api', true)).toBe(true);
  });

  it('sends nowhere else, whatever the mode', () => {
    for (const url of [
      'http://ledger.example.com',
      'https://ledger.example.com:8443',
      'https://ledger.example.com.evil.test',
      'http://consumer-1:3002',
      'not a url',
    ]) {
      expect([url, profileAllows(origins, url, true)]).toEqual([url, false]);
    }
    expect(profileAllows([], 'https://ledger.example.com', true)).toBe(false);
  });

  it('a profile naming no origins: anywhere in development mode, nowhere outside it', () => {
    expect(profileAllows(undefined, 'http://127.0.0.1:9', true)).toBe(true);
    expect(profileAllows(undefined, 'https://ledger.example.com', false)).toBe(false);
  });

  it('says why, naming the profile and the origin', () => {
    expect(profileRefusal('ledger', origins, 'https://evil.test/x')).toBe(
      `auth profile "ledger" may not be sent to https://evil.test: it is not among the profile's origins`,
    );
    expect(profileRefusal('ledger', undefined, 'https://evil.test/x')).toMatch(/"ledger" names no origins/);
  });
});

import { describe, expect, it } from '@jest/globals';
import { callbackAllowed } from './callback-origins.js';

const path = '/api/v1/callbacks/tasks/t-1';

describe('callbackAllowed', () => {
  it('takes a callbackUrl under a configured origin, and nothing else', () => {
    const allowed = { origins: ['https://ferry.example.com', 'http://scheduler:3000'], loopback: false };
    expect(callbackAllowed(allowed, `https://ferry.example.com${path}`)).toBe(true);
    expect(callbackAllowed(allowed, `https://FERRY.example.com:443${path}`)).toBe(true);
    expect(callbackAllowed(allowed, `http://scheduler:3000${path}`)).toBe(true);
    for (const url of [
      `http://ferry.example.com${path}`,
      `https://ferry.example.com:8443${path}`,
      `https://ferry.example.com.evil.test${path}`,
      `https://user:pw@ferry.example.com${path}`,
      `http://scheduler:3001${path}`,
      `http://127.0.0.1:3000${path}`,
      `http://169.254.169.254/latest/meta-data`,
      'ftp://scheduler:3000/x',
      'not a url',
    ]) {
      expect([url, callbackAllowed(allowed, url)]).toEqual([url, false]);
    }
  });

  it("in development mode's default, takes any loopback origin", () => {
    const loopback = { origins: [], loopback: true };
    for (const url of ['http://localhost:3000', 'http://127.0.0.1:41234', 'https://127.9.9.9', 'http://[::1]:3000']) {
      expect([url, callbackAllowed(loopback, `${url}${path}`)]).toEqual([url, true]);
    }
    for (const url of [
      'http://10.0.0.1',
      'http://localhost.evil.test',
      'http://[::ffff:a00:1]',
      'http://example.com',
    ]) {
      expect([url, callbackAllowed(loopback, `${url}${path}`)]).toEqual([url, false]);
    }
  });
});

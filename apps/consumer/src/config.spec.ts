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

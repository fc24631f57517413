import { describe, expect, it } from '@jest/globals';
import { providerConfigFromEnv } from './config.js';

const dev = { FERRY_DEV_MODE: 'true' };

describe('FERRY_PROVIDER_SINK_ORIGINS', () => {
  it('names the origins of each record-sink profile, as URL.origin writes them; none by default', () => {
    expect(providerConfigFromEnv(dev).sinkOrigins).toEqual({});
    const set = { ...dev, FERRY_PROVIDER_SINK_ORIGINS: '{"partner": ["https://Partner.example:443/", "http://p:81"]}' };
    expect(providerConfigFromEnv(set).sinkOrigins).toEqual({ partner: ['https://partner.example', 'http://p:81'] });
  });

  it('stops the boot on anything but a JSON object of profile to origins', () => {
    for (const bad of ['["https://a.example"]', '{"partner": "https://a.example"}', 'partner=https://a.example'])
      expect(() => providerConfigFromEnv({ ...dev, FERRY_PROVIDER_SINK_ORIGINS: bad })).toThrow(
        /FERRY_PROVIDER_SINK_ORIGINS: (not a JSON object|profile "partner" has an entry that is not an origin)/,
      );
    const withPath = { ...dev, FERRY_PROVIDER_SINK_ORIGINS: '{"partner": ["https://a.example/records"]}' };
    expect(() => providerConfigFromEnv(withPath)).toThrow(/profile "partner" has an entry that is not an origin/);
  });
});

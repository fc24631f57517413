import { describe, expect, it } from '@jest/globals';
import { EnvReader } from '#ferry/config';
import { readObservability } from './config.js';

function read(env: Record<string, string>) {
  const r = new EnvReader(env);
  const config = readObservability(r, 'FERRY_X', 'ferry-x');
  r.done('x');
  return config.metrics;
}

describe('readObservability: the metrics port', () => {
  it('refuses a metrics port with neither a token nor an explicit opening, naming both settings', () => {
    expect(() => read({ FERRY_X_METRICS_PORT: '9464' })).toThrow(
      /FERRY_X_METRICS_PORT serves \/metrics, which needs FERRY_METRICS_TOKEN \(or FERRY_METRICS_PUBLIC=true/,
    );
  });

  it('accepts it with the token, or opened on purpose, or with metrics off', () => {
    expect(read({ FERRY_X_METRICS_PORT: '9464', FERRY_METRICS_TOKEN: 't' })).toMatchObject({
      port: 9464,
      public: false,
    });
    expect(read({ FERRY_X_METRICS_PORT: '0', FERRY_METRICS_PUBLIC: 'true' })).toMatchObject({ port: 0, public: true });
    expect(read({ FERRY_X_METRICS_PORT: '0', FERRY_METRICS_ENABLED: 'false' }).enabled).toBe(false);
    expect(read({}).public).toBe(false);
  });
});

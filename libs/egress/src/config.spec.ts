import { describe, expect, it } from '@jest/globals';
import { EnvReader, readDevelopment } from '#ferry/config';
import { readEgress } from './config.js';

const read = (env: Record<string, string>) => {
  const reader = new EnvReader(env);
  const egress = readEgress(reader, readDevelopment(reader));
  return { egress, done: () => reader.done('x') };
};

describe('readEgress', () => {
  it('lets loopback out in development mode, and nothing outside it', () => {
    expect(read({ FERRY_DEV_MODE: 'true' }).egress).toEqual({
      allowRanges: ['127.0.0.0/8', '::1/128'],
      allowHosts: [],
    });
    expect(read({}).egress).toEqual({ allowRanges: [], allowHosts: [] });
  });

  it('replaces the default with FERRY_EGRESS_ALLOW, in development mode too (`none`: nothing)', () => {
    const env = { FERRY_DEV_MODE: 'true', FERRY_EGRESS_ALLOW: '10.20.0.0/16,ledger.corp' };
    expect(read(env).egress).toEqual({ allowRanges: ['10.20.0.0/16'], allowHosts: ['ledger.corp'] });
    expect(read({ FERRY_DEV_MODE: 'true', FERRY_EGRESS_ALLOW: 'none' }).egress.allowRanges).toEqual([]);
  });

  it('stops the boot on an entry it cannot read, naming it', () => {
    expect(read({ FERRY_EGRESS_ALLOW: '10.0.0.0/8,10.0.0.0/40' }).done).toThrow(
      /FERRY_EGRESS_ALLOW: "10\.0\.0\.0\/40" is neither an address range/,
    );
  });
});

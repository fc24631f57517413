import { describe, expect, it } from '@jest/globals';
import { AddressPolicy, checkedAddress } from './addresses.js';
import { parseEgressAllow } from './config.js';

const none = new AddressPolicy([]);

describe('AddressPolicy without an allow-list', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.255', 'shared (CGNAT)'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
  ])('refuses IPv4 %s (%s)', (address, kind) => {
    expect(none.refusal(address)).toBe(kind);
  });

  it.each([
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['FEBF::1', 'link-local'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['ff02::1', 'multicast'],
    ['::2', 'reserved'],
  ])('refuses IPv6 %s (%s)', (address, kind) => {
    expect(none.refusal(address)).toBe(kind);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:192.168.0.1', 'private'],
    ['::ffff:100.64.0.1', 'shared (CGNAT)'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:224.0.0.1', 'multicast'],
    ['::ffff:0:7f00:1', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::169.254.169.254', 'link-local'],
  ])('refuses the IPv4 address inside IPv6 %s (%s)', (address, kind) => {
    expect(none.refusal(address)).toBe(kind);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.255.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8'])(
    'calls public %s',
    (address) => {
      expect(none.refusal(address)).toBeUndefined();
    },
  );

  it('refuses what is not an address', () => {
    expect(none.refusal('localhost')).toBe('not an IP address');
  });

  it('checks an IPv6 address in canonical form, and the IPv4 one it carries', () => {
    expect(checkedAddress('0:0:0:0:0:FFFF:7F00:0001')).toEqual({ ip: '127.0.0.1', family: 'ipv4' });
    expect(checkedAddress('2001:DB8:0:0::1')).toEqual({ ip: '2001:db8::1', family: 'ipv6' });
    expect(checkedAddress('not-an-ip')).toBeUndefined();
  });
});

describe('AddressPolicy with an allow-list', () => {
  it('calls the ranges and addresses allowed, in IPv4-mapped form too, and nothing else', () => {
    const policy = new AddressPolicy(['10.20.0.0/16', '127.0.0.1', 'fd00::/8']);
    expect(policy.refusal('10.20.3.4')).toBeUndefined();
    expect(policy.refusal('::ffff:10.20.3.4')).toBeUndefined();
    expect(policy.refusal('127.0.0.1')).toBeUndefined();
    expect(policy.refusal('fd00::5')).toBeUndefined();
    expect(policy.refusal('10.21.0.1')).toBe('private');
    expect(policy.refusal('127.0.0.2')).toBe('loopback');
    expect(policy.refusal('::1')).toBe('loopback');
    expect(policy.refusal('169.254.169.254')).toBe('link-local');
  });
});

describe('parseEgressAllow', () => {
  it('sorts ranges, addresses and host names, and reads `none` as nothing', () => {
    expect(parseEgressAllow(' 10.0.0.0/8, fd00::/8 ,192.168.1.10,::1, Ledger.corp , *.svc.local,none,').config).toEqual(
      {
        allowRanges: ['10.0.0.0/8', 'fd00::/8', '192.168.1.10', '::1'],
        allowHosts: ['ledger.corp', '*.svc.local'],
      },
    );
    expect(parseEgressAllow('none')).toEqual({ config: { allowRanges: [], allowHosts: [] }, problems: [] });
  });

  it('names each entry that is none of them', () => {
    const { problems } = parseEgressAllow('10.0.0.0/33,::1/129,10.0.0.0/8/1,host/8,http://x,a..b,10.0.0.0/x');
    expect(problems.map((p) => p.split('"')[1])).toEqual([
      '10.0.0.0/33',
      '::1/129',
      '10.0.0.0/8/1',
      'host/8',
      'http://x',
      'a..b',
      '10.0.0.0/x',
    ]);
  });
});

import { BlockList, isIP } from 'node:net';

type Family = 'ipv4' | 'ipv6';

/**
 * Addresses Ferry does not call unless FERRY_EGRESS_ALLOW opens them, each with the name a refusal gives it:
 * a caller-supplied URL aimed at one of them reaches the host itself, its network or a cloud's metadata
 * service (169.254.169.254) rather than a service on the internet. The more specific ranges come first.
 */
const DENIED: ReadonlyArray<readonly [kind: string, cidr: string]> = [
  ['loopback', '127.0.0.0/8'],
  ['link-local', '169.254.0.0/16'],
  ['private', '10.0.0.0/8'],
  ['private', '172.16.0.0/12'],
  ['private', '192.168.0.0/16'],
  ['shared (CGNAT)', '100.64.0.0/10'],
  ['unspecified', '0.0.0.0/8'],
  ['multicast', '224.0.0.0/4'],
  ['reserved', '240.0.0.0/4'],
  ['loopback', '::1/128'],
  ['unspecified', '::/128'],
  ['link-local', 'fe80::/10'],
  ['private', 'fc00::/7'],
  ['multicast', 'ff00::/8'],
  ['reserved', '::/96'],
];

const denied = new BlockList();
const deniedByKind = DENIED.map(([kind, cidr]) => {
  const list = new BlockList();
  addRange(list, cidr);
  addRange(denied, cidr);
  return [kind, list] as const;
});

/** An IPv6 address that carries an IPv4 one (mapped, translated, compatible, NAT64): checked as that IPv4 address. */
const EMBEDDED_IPV4 = /^(?:::ffff:(?:0:)?|::|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/** The address as checked: IPv4, or IPv6 in canonical form without a zone; undefined if it is not an address. */
export function checkedAddress(address: string): { ip: string; family: Family } | undefined {
  const bare = address.replace(/%.*$/, '');
  const version = isIP(bare);
  if (version === 4) return { ip: bare, family: 'ipv4' };
  if (version !== 6) return undefined;
  const canonical = new URL(`http://[${bare}]`).hostname.slice(1, -1);
  const v4 = EMBEDDED_IPV4.exec(canonical);
  if (!v4) return { ip: canonical, family: 'ipv6' };
  const [hi, lo] = [parseInt(v4[1], 16), parseInt(v4[2], 16)];
  return { ip: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 'ipv4' };
}

/** Adds `a.b.c.d/n`, `x::/n` or a single address to a BlockList. */
function addRange(list: BlockList, range: string): void {
  const [address, bits] = range.split('/');
  const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
  if (bits === undefined) list.addAddress(address, family);
  else list.addSubnet(address, Number(bits), family);
}

/** Which addresses may be called: any public one, and those in the allowed ranges. */
export class AddressPolicy {
  private readonly allowed = new BlockList();

  /** `allowRanges`: CIDR ranges or single addresses, as readEgress checked them. */
  constructor(allowRanges: readonly string[]) {
    for (const range of allowRanges) addRange(this.allowed, range);
  }

  /** Why `address` is not called (`loopback`, `private`, …), or undefined when it may be. */
  refusal(address: string): string | undefined {
    const a = checkedAddress(address);
    if (!a) return 'not an IP address';
    if (this.allowed.check(a.ip, a.family) || !denied.check(a.ip, a.family)) return undefined;
    return deniedByKind.find(([, list]) => list.check(a.ip, a.family))![0];
  }
}

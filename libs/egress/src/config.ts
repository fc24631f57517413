import { isIP } from 'node:net';
import type { Development, EnvReader } from '#ferry/config';

/** What the egress guard lets out besides public addresses (FERRY_EGRESS_ALLOW). Plain data: worker threads get it. */
export interface EgressConfig {
  /** CIDR ranges or single addresses called although loopback, private, link-local, … */
  allowRanges: string[];
  /** Host names called whatever they resolve to: exact names, or `*.corp.example` for the names under it. */
  allowHosts: string[];
}

/** Development mode's default: the apps, the demo and the tests talk to each other over loopback. */
export const DEVELOPMENT_EGRESS_ALLOW = '127.0.0.0/8,::1/128';

const HOST_NAME = /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/**
 * FERRY_EGRESS_ALLOW: a comma list of CIDR ranges, addresses and host names; `none` for nothing. Unset, it
 * is loopback in development mode and nothing outside it. A set value replaces the default.
 */
export function readEgress(env: EnvReader, dev: Development): EgressConfig {
  const name = 'FERRY_EGRESS_ALLOW';
  const { config, problems } = parseEgressAllow(env.str(name, dev.on ? DEVELOPMENT_EGRESS_ALLOW : 'none'));
  for (const p of problems) env.problem(`${name}: ${p}`);
  return config;
}

export function parseEgressAllow(value: string): { config: EgressConfig; problems: string[] } {
  const config: EgressConfig = { allowRanges: [], allowHosts: [] };
  const problems: string[] = [];
  for (const entry of value.split(',').map((e) => e.trim().toLowerCase())) {
    if (entry === '' || entry === 'none') continue;
    const [address, bits, extra] = entry.split('/');
    const version = isIP(address);
    if (bits === undefined && version) config.allowRanges.push(entry);
    else if (version && extra === undefined && /^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128))
      config.allowRanges.push(entry);
    else if (bits === undefined && HOST_NAME.test(entry)) config.allowHosts.push(entry);
    else problems.push(`"${entry}" is neither an address range (10.0.0.0/8, fd00::/8), an address nor a host name`);
  }
  return { config, problems };
}

import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { AddressPolicy } from './addresses.js';
import type { EgressConfig } from './config.js';

/** The `code` of a call the egress guard did not let out (and of the failed attempt it causes). */
export const EGRESS_REFUSED = 'EGRESS_REFUSED';

/** Names the host and why it was refused; never the allow-list, which says what else is reachable. */
export class EgressRefusedError extends Error {
  readonly code = EGRESS_REFUSED;

  constructor(
    readonly host: string,
    kinds: string[],
  ) {
    const what = [...new Set(kinds)].join(' or ');
    super(
      isIP(host)
        ? `The egress guard refused ${host}: a ${what} address, not called unless FERRY_EGRESS_ALLOW opens it`
        : `The egress guard refused ${host}: it resolves only to ${what} addresses, not called unless ` +
            'FERRY_EGRESS_ALLOW opens them',
    );
  }
}

type Resolve = (hostname: string, options: LookupOptions & { all: true }, callback: ResolveCallback) => void;
type ResolveCallback = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

/**
 * The one egress guard: every outbound HTTP call of an app goes through its `agent()`. It checks the address a
 * connection is opened to, when it is opened: an IP-literal host before connecting, a host name on the addresses
 * DNS answers for that connection (those refused are dropped; none left, the call fails), so a name that
 * resolves elsewhere later (DNS rebinding) is checked again. Nothing is cached; calls on a kept-alive
 * connection pay nothing.
 */
export class EgressGuard {
  private readonly addresses: AddressPolicy;
  private readonly hosts: Set<string>;
  private readonly suffixes: string[];

  constructor(
    config: EgressConfig,
    private readonly resolve: Resolve = dnsLookup as Resolve,
  ) {
    this.addresses = new AddressPolicy(config.allowRanges);
    this.hosts = new Set(config.allowHosts.filter((h) => !h.startsWith('*.')));
    this.suffixes = config.allowHosts.filter((h) => h.startsWith('*.')).map((h) => h.slice(1));
  }

  /** One per app (or worker thread): its pools keep connections alive across calls. */
  agent(options: Omit<Agent.Options, 'connect'> = {}): Agent {
    return new Agent({ ...options, connect: this.connector() });
  }

  /** An undici connector that refuses what the guard does not let out, with an EgressRefusedError. */
  connector(): buildConnector.connector {
    const connect = buildConnector({ lookup: this.lookup });
    return (options, callback) => {
      const refusal = isIP(options.hostname) ? this.refusal(options.hostname) : undefined;
      if (refusal) {
        const err = new EgressRefusedError(options.hostname, [refusal]);
        return void process.nextTick(() => callback(err, null));
      }
      connect(options, callback);
    };
  }

  /** Why `address` may not be called, or undefined; for an allowed host name, always undefined. */
  refusal(address: string, hostname = address): string | undefined {
    return this.hostAllowed(hostname) ? undefined : this.addresses.refusal(address);
  }

  /** `net.connect`'s lookup: the addresses DNS answers, less those refused. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname, { ...options, all: true }, (err, all) => {
      if (err) return callback(err, '');
      const refusals = all.map((a) => this.refusal(a.address, hostname));
      const allowed = all.filter((_, i) => refusals[i] === undefined);
      if (allowed.length === 0)
        return callback(new EgressRefusedError(hostname, refusals.length ? (refusals as string[]) : ['unknown']), '');
      if (options.all) callback(null, allowed);
      else callback(null, allowed[0].address, allowed[0].family);
    });
  };

  private hostAllowed(hostname: string): boolean {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    return this.hosts.has(name) || this.suffixes.some((s) => name.endsWith(s));
  }
}

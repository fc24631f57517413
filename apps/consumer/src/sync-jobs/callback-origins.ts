import { checkedAddress } from '#ferry/egress';
import type { SchedulerOrigins } from '../config.js';

/** Whether a sync job may ask this consumer to report to `callbackUrl`: under a configured scheduler origin. */
export function callbackAllowed(allowed: SchedulerOrigins, callbackUrl: string): boolean {
  const url = URL.canParse(callbackUrl) ? new URL(callbackUrl) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return false;
  return allowed.origins.includes(url.origin) || (allowed.loopback && isLoopback(url.hostname));
}

function isLoopback(hostname: string): boolean {
  if (hostname === 'localhost') return true;
  const a = checkedAddress(hostname.replace(/^\[(.*)\]$/, '$1'));
  return a?.family === 'ipv4' ? a.ip.startsWith('127.') : a?.ip === '::1';
}

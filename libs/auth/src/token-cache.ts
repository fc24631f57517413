import { signToken } from './sign.js';
import type { SigningProfile } from './types.js';

interface Entry {
  token: string;
  fingerprint: string;
  refreshAtMs: number;
}

/**
 * Reuses a signed token until shortly before it expires, so hot paths don't sign per request.
 * The margin leaves room for the receiver's clock and for the request's time in flight.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  /** `now` (ms) exists for tests; production uses Date.now. */
  constructor(
    private readonly ttlMarginSeconds = 60,
    private readonly now: () => number = Date.now,
  ) {}

  get(profileKey: string, profile: SigningProfile): string {
    const nowMs = this.now();
    const fingerprint = fingerprintOf(profile);
    const hit = this.entries.get(profileKey);
    if (hit && hit.fingerprint === fingerprint && nowMs < hit.refreshAtMs) return hit.token;

    const token = signToken(profile, nowMs);
    // A margin longer than the token's life would mean signing on every call; cap it at half.
    const margin = Math.min(this.ttlMarginSeconds, profile.ttlSeconds / 2);
    const iatMs = Math.floor(nowMs / 1000) * 1000;
    const refreshAtMs = iatMs + (Math.floor(profile.ttlSeconds) - margin) * 1000;
    this.entries.set(profileKey, { token, fingerprint, refreshAtMs });
    return token;
  }
}

/** A changed profile under the same key (new scopes, rotated key) must not get a stale token. */
function fingerprintOf(p: SigningProfile): string {
  const secret = p.key.alg === 'HS256' ? p.key.secret : p.key.privateKey;
  return JSON.stringify([p.issuer, p.audience, p.subject, p.scopes, p.ttlSeconds, p.key.alg, p.key.kid, secret]);
}

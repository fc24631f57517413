import { ApiError, ErrorCode } from '#ferry/errors';

const WINDOW_MS = 60_000;
/** Addresses remembered at once; past it the oldest go (a flood from very many addresses is the network's to stop). */
const ADDRESSES = 10_000;

/**
 * Refused tokens per caller address, a fixed one-minute window each: past `perMinute`, the address's
 * next tokens are answered 429 without being verified. Only tokens the verifier has not already accepted
 * come here, so callers reusing a good token (callbacks, every service) never pay for it.
 */
export class RefusalLimit {
  private readonly refused = new Map<string, { count: number; until: number }>();

  constructor(private readonly perMinute: number) {}

  /** Throws 429 RATE_LIMITED with Retry-After when the address has earned too many refusals this minute. */
  check(address: string, now: number): void {
    const seen = this.refused.get(address);
    if (!seen || seen.count < this.perMinute || seen.until <= now) return;
    const seconds = Math.max(1, Math.ceil((seen.until - now) / 1000));
    throw new ApiError(ErrorCode.RATE_LIMITED, `Too many refused tokens; retry in ${seconds}s`, [], {
      'Retry-After': String(seconds),
    });
  }

  count(address: string, now: number): void {
    const seen = this.refused.get(address);
    if (seen && seen.until > now) {
      seen.count++;
      return;
    }
    this.refused.delete(address);
    if (this.refused.size >= ADDRESSES) this.refused.delete(this.refused.keys().next().value!);
    this.refused.set(address, { count: 1, until: now + WINDOW_MS });
  }
}

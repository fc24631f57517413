export interface BackoffPolicy {
  initialMs: number;
  factor: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, factor: 2, maxMs: 60_000 };

/** Delay before attempt `attempts + 1`, with ±20% jitter so many rows don't retry in lockstep. */
export function backoffMs(attempts: number, p: BackoffPolicy, random: () => number = Math.random): number {
  const base = Math.min(p.maxMs, p.initialMs * p.factor ** Math.max(0, attempts - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

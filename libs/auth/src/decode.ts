import { ApiError } from '#ferry/errors';

export interface DecodedToken {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

const SEGMENT = /^[A-Za-z0-9_-]*$/;

/**
 * Reads header and payload WITHOUT checking the signature. Only used to pick the client and key;
 * nothing read here is trusted until jwt.verify has checked the signature with that key.
 */
export function decodeUnverified(token: string): DecodedToken {
  const parts = token.split('.');
  // The signature segment may be empty so that `alg: none` gets its own, clearer refusal.
  if (parts.length !== 3 || !parts[0] || !parts[1] || !parts.every((p) => SEGMENT.test(p))) {
    throw ApiError.unauthenticated('Malformed token: expected three base64url segments');
  }
  return { header: parseSegment(parts[0], 'header'), payload: parseSegment(parts[1], 'payload') };
}

function parseSegment(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw ApiError.unauthenticated(`Malformed token: the ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw ApiError.unauthenticated(`Malformed token: the ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Attacker-controlled text goes into error messages, so keep it short and quoted. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

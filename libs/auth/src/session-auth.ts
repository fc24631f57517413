import type { Principal } from './types.js';

/** Provider token under which an app registers its SessionAuthenticator (optional: apps without a portal). */
export const SESSION_AUTHENTICATOR = Symbol('SESSION_AUTHENTICATOR');

/** The name of the portal's session cookie (docs/contract-additions.md). */
export const SESSION_COOKIE = 'ferry_session';

/** What the guard hands the session authenticator: the request's headers, method and address. */
export interface SessionRequest {
  headers: Record<string, string | string[] | undefined>;
  method?: string;
  ip?: string;
}

/**
 * Authenticates a request by its session cookie instead of a bearer token. Asked only for requests
 * without an Authorization header that carry a cookie, so the bearer path never waits on it.
 */
export interface SessionAuthenticator {
  /**
   * The session's principal; throws 401 for no or an expired session, and 403 for a state change
   * (POST, PUT, PATCH, DELETE) without the session's CSRF token.
   */
  authenticate(request: SessionRequest): Promise<Principal>;
}

const STATE_CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Whether a request of this method changes state and so needs the CSRF token when a cookie authenticates it. */
export const changesState = (method: string | undefined): boolean => STATE_CHANGES.has((method ?? '').toUpperCase());

export * from './types.js';
export { JwtVerifier } from './jwt-verifier.js';
export { signToken } from './sign.js';
export { TokenCache } from './token-cache.js';
export {
  ANY_SCOPE_KEY,
  AnyScope,
  declaredAccess,
  JWT_VERIFIER,
  PUBLIC_KEY,
  Public,
  type RouteAccess,
  SCOPES_KEY,
  Scopes,
} from './scopes.js';
export {
  changesState,
  SESSION_AUTHENTICATOR,
  SESSION_COOKIE,
  type SessionAuthenticator,
  type SessionRequest,
} from './session-auth.js';
export { BearerAuthGuard, bearerToken, type AuthenticatedRequest } from './bearer-auth.guard.js';
export { sourceAllowed } from './sources.js';

export * from './types.js';
export { JwtVerifier } from './jwt-verifier.js';
export { signToken } from './sign.js';
export { TokenCache } from './token-cache.js';
export { JWT_VERIFIER, SCOPES_KEY, Scopes } from './scopes.js';
export { BearerAuthGuard, type AuthenticatedRequest } from './bearer-auth.guard.js';
export { sourceAllowed } from './sources.js';

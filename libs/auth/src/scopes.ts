import { SetMetadata, type CustomDecorator } from '@nestjs/common';

/** Provider token under which apps register their JwtVerifier. */
export const JWT_VERIFIER = Symbol('JWT_VERIFIER');

export const SCOPES_KEY = 'ferry:auth:scopes';

/**
 * Marks a handler or controller as protected: the bearer token must carry every listed scope.
 * `@Scopes()` with no scopes still requires a valid token. A handler's list replaces its class's.
 */
export const Scopes = (...scopes: string[]): CustomDecorator<string> => SetMetadata(SCOPES_KEY, scopes);

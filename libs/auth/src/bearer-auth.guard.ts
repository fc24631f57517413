import { Inject, Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError } from '#ferry/errors';
import { JwtVerifier } from './jwt-verifier.js';
import { declaredAccess, JWT_VERIFIER } from './scopes.js';
import { SESSION_AUTHENTICATOR, type SessionAuthenticator } from './session-auth.js';
import type { Principal } from './types.js';

/** The request as the guard sees it; `principal` is set once the token is verified. */
export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
  /** The caller's address (Fastify's `req.ip`): refused tokens count against it. */
  ip?: string;
  method?: string;
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * Routes with @Scopes need a valid bearer token with all listed scopes (@AnyScope: one of them); routes
 * marked @Public need none; any other route is refused (deny by default: a forgotten decorator must not
 * open a route). Where the app has a SessionAuthenticator, a request without an Authorization header
 * but with a cookie is authenticated by its session instead (the portal); a bearer request never
 * waits on that.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    @Inject(JWT_VERIFIER) private readonly verifier: JwtVerifier,
    private readonly reflector: Reflector,
    @Optional() @Inject(SESSION_AUTHENTICATOR) private readonly sessions?: SessionAuthenticator,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const access = declaredAccess(context.getHandler(), context.getClass(), (key, target) =>
      this.reflector.get(key, target as never),
    );
    if (access === undefined)
      throw ApiError.forbidden('This route declares no access scopes, so it is refused to every caller');
    if ('publicReason' in access) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const authorization = request.headers?.authorization;
    if (this.sessions && authorization === undefined && request.headers?.cookie !== undefined)
      return this.sessions.authenticate(request).then((principal) => admit(request, principal, access));
    return admit(request, this.verifier.verify(bearerToken(authorization), request.ip), access);
  }
}

function admit(request: AuthenticatedRequest, principal: Principal, access: { scopes: string[]; anyOf?: true }) {
  request.principal = principal;
  const required = access.scopes;
  const held = (scope: string) => principal.scopes.includes(scope);
  if (access.anyOf) {
    if (required.some(held)) return true;
    throw ApiError.forbidden(`The token lacks a required scope: one of ${required.join(', ')}`);
  }
  const missing = required.filter((scope) => !held(scope));
  if (missing.length > 0) {
    const noun = missing.length === 1 ? 'scope' : 'scopes';
    throw ApiError.forbidden(`The token lacks the required ${noun} ${missing.join(', ')}`);
  }
  return true;
}

/** The token of an `Authorization: Bearer <token>` header; 401 for anything else. */
export function bearerToken(header: string | string[] | undefined): string {
  if (header === undefined || header === '') throw ApiError.unauthenticated('Missing Authorization header');
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  if (!match) throw ApiError.unauthenticated('Authorization header is not of the form "Bearer <token>"');
  return match[1];
}

import { applyDecorators, SetMetadata, type CustomDecorator } from '@nestjs/common';

/** Provider token under which apps register their JwtVerifier. */
export const JWT_VERIFIER = Symbol('JWT_VERIFIER');

export const SCOPES_KEY = 'ferry:auth:scopes';
export const ANY_SCOPE_KEY = 'ferry:auth:any-scope';
export const PUBLIC_KEY = 'ferry:auth:public';

/**
 * Marks a handler or controller as protected: the bearer token must carry every listed scope.
 * `@Scopes()` with no scopes still requires a valid token. A handler's list replaces its class's.
 */
export const Scopes = (...scopes: string[]): CustomDecorator<string> => SetMetadata(SCOPES_KEY, scopes);

/**
 * Like @Scopes, but the token needs only one of the listed scopes (e.g. `admin:operate` or `admin:write`).
 * It is a @Scopes declaration too: a route with it is protected, and deny-by-default still sees it.
 */
export function AnyScope(...scopes: string[]): MethodDecorator & ClassDecorator {
  if (scopes.length === 0) throw new Error('@AnyScope needs at least one scope');
  return applyDecorators(SetMetadata(SCOPES_KEY, scopes), SetMetadata(ANY_SCOPE_KEY, true));
}

/**
 * Marks a handler or controller as answering without a token. Routes are refused unless they declare
 * @Scopes or this, so that a forgotten decorator closes a route instead of opening it; the reason is
 * kept so that a reviewer reads why each public route is public.
 */
export function Public(reason: string): CustomDecorator<string> {
  if (reason.trim() === '') throw new Error('@Public needs a reason: say why the route needs no token');
  return SetMetadata(PUBLIC_KEY, reason);
}

/**
 * What a route declares: the scopes its token must carry (all of them, or one of them with `anyOf`), or why it
 * is public; undefined: nothing (refused).
 */
export type RouteAccess = { scopes: string[]; anyOf?: true } | { publicReason: string };

/** The route's declaration; the handler's own wins over its class's, whichever of the two kinds each is. */
export function declaredAccess(
  handler: object,
  cls: object,
  read: (key: string, target: object) => unknown = (key, target) => Reflect.getMetadata(key, target),
): RouteAccess | undefined {
  for (const target of [handler, cls]) {
    const scopes = read(SCOPES_KEY, target) as string[] | undefined;
    if (scopes !== undefined) return read(ANY_SCOPE_KEY, target) === true ? { scopes, anyOf: true } : { scopes };
    const publicReason = read(PUBLIC_KEY, target) as string | undefined;
    if (publicReason !== undefined) return { publicReason };
  }
  return undefined;
}

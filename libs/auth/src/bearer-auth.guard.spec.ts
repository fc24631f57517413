import { describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError, ErrorCode } from '#ferry/errors';
import { BearerAuthGuard, type AuthenticatedRequest } from './bearer-auth.guard.js';
import { JwtVerifier } from './jwt-verifier.js';
import { AnyScope, declaredAccess, Public, Scopes } from './scopes.js';
import type { SessionAuthenticator } from './session-auth.js';
import type { Principal } from './types.js';
import { signToken } from './sign.js';

@Scopes('admin:read')
class AdminController {
  list(): void {}
  @Scopes('admin:write')
  update(): void {}
  @Public('a probe inside a guarded controller')
  probe(): void {}
}

@Public('probes carry no token')
class HealthController {
  live(): void {}
  @Scopes('admin:read')
  details(): void {}
}

class OperatorController {
  @AnyScope('admin:operate', 'admin:write')
  retry(): void {}
}

class TriggersController {
  @Scopes('triggers:write')
  post(): void {}
  @Scopes('triggers:write', 'callbacks:write')
  both(): void {}
  @Scopes()
  anyClient(): void {}
  undeclared(): void {}
}

const NOW = Date.UTC(2026, 10, 24, 6, 0, 0);
const verifier = new JwtVerifier({
  audience: 'ferry-scheduler',
  now: () => NOW,
  clients: [
    {
      clientId: 'billing',
      keys: [{ alg: 'HS256', secret: 'billing-secret' }],
      scopes: ['admin:read', 'admin:write', 'triggers:write', 'callbacks:write'],
    },
  ],
});
const guard = new BearerAuthGuard(verifier, new Reflector());

const key = { alg: 'HS256', secret: 'billing-secret' } as const;
const bearer = (...scopes: string[]): string =>
  `Bearer ${signToken({ issuer: 'billing', audience: 'ferry-scheduler', scopes, ttlSeconds: 60, key }, NOW)}`;

function context(cls: object, handler: (...args: never[]) => unknown, authorization?: string) {
  const request: AuthenticatedRequest = { headers: authorization === undefined ? {} : { authorization } };
  const ctx = {
    switchToHttp: () => ({ getRequest: () => request }),
    getHandler: () => handler,
    getClass: () => cls,
  } as unknown as ExecutionContext;
  return { ctx, request };
}

function expectError(fn: () => unknown, code: ErrorCode, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ApiError);
  expect((caught as ApiError).code).toBe(code);
  if (message) expect((caught as ApiError).message).toMatch(message);
}

describe('BearerAuthGuard', () => {
  it('refuses a route that declares neither @Scopes nor @Public, with or without a token', () => {
    const handler = TriggersController.prototype.undeclared;
    expectError(() => guard.canActivate(context(TriggersController, handler).ctx), ErrorCode.FORBIDDEN, /declares no/);
    const withToken = context(TriggersController, handler, bearer('triggers:write', 'admin:write'));
    expectError(() => guard.canActivate(withToken.ctx), ErrorCode.FORBIDDEN, /declares no/);
  });

  it('lets @Public routes through without a token; the nearest declaration wins', () => {
    const { ctx, request } = context(HealthController, HealthController.prototype.live);
    expect(guard.canActivate(ctx)).toBe(true);
    expect(request.principal).toBeUndefined();
    expect(guard.canActivate(context(AdminController, AdminController.prototype.probe).ctx)).toBe(true);
    const details = context(HealthController, HealthController.prototype.details);
    expectError(() => guard.canActivate(details.ctx), ErrorCode.UNAUTHENTICATED);
  });

  it('wants a reason for @Public', () => {
    expect(() => Public(' ')).toThrow(/reason/);
  });

  it('puts the principal on the request when the scopes are present', () => {
    const { ctx, request } = context(TriggersController, TriggersController.prototype.post, bearer('triggers:write'));
    expect(guard.canActivate(ctx)).toBe(true);
    expect(request.principal).toMatchObject({ clientId: 'billing', scopes: ['triggers:write'] });
  });

  it('refuses a missing or non-Bearer Authorization header with 401', () => {
    const handler = TriggersController.prototype.post;
    expectError(
      () => guard.canActivate(context(TriggersController, handler).ctx),
      ErrorCode.UNAUTHENTICATED,
      /Missing/,
    );
    for (const header of ['Basic dXNlcjpwdw==', 'Bearer', 'Bearer a b', 'token']) {
      expectError(() => guard.canActivate(context(TriggersController, handler, header).ctx), ErrorCode.UNAUTHENTICATED);
    }
  });

  it('refuses an invalid token with 401', () => {
    const { ctx } = context(TriggersController, TriggersController.prototype.post, 'Bearer not.a.jwt');
    expectError(() => guard.canActivate(ctx), ErrorCode.UNAUTHENTICATED);
  });

  it('accepts a case-insensitive scheme', () => {
    const { ctx } = context(
      TriggersController,
      TriggersController.prototype.post,
      bearer('triggers:write').replace('Bearer', 'bearer'),
    );
    expect(guard.canActivate(ctx)).toBe(true);
  });

  it('refuses a valid token without the scope with 403 naming the scope', () => {
    const { ctx } = context(TriggersController, TriggersController.prototype.post, bearer('admin:read'));
    expectError(() => guard.canActivate(ctx), ErrorCode.FORBIDDEN, /triggers:write/);
    const both = context(TriggersController, TriggersController.prototype.both, bearer('triggers:write'));
    expectError(() => guard.canActivate(both.ctx), ErrorCode.FORBIDDEN, /scope callbacks:write$/);
  });

  it('applies class-level scopes, with a handler list replacing the class list', () => {
    const list = context(AdminController, AdminController.prototype.list, bearer('admin:read'));
    expect(guard.canActivate(list.ctx)).toBe(true);
    const listNoScope = context(AdminController, AdminController.prototype.list, bearer('triggers:write'));
    expectError(() => guard.canActivate(listNoScope.ctx), ErrorCode.FORBIDDEN, /admin:read/);
    const noToken = context(AdminController, AdminController.prototype.list);
    expectError(() => guard.canActivate(noToken.ctx), ErrorCode.UNAUTHENTICATED);
    const update = context(AdminController, AdminController.prototype.update, bearer('admin:read'));
    expectError(() => guard.canActivate(update.ctx), ErrorCode.FORBIDDEN, /admin:write/);
    const updateOk = context(AdminController, AdminController.prototype.update, bearer('admin:write'));
    expect(guard.canActivate(updateOk.ctx)).toBe(true);
  });

  it('treats @Scopes() with no scopes as "any valid token"', () => {
    const handler = TriggersController.prototype.anyClient;
    expect(guard.canActivate(context(TriggersController, handler, bearer()).ctx)).toBe(true);
    expectError(() => guard.canActivate(context(TriggersController, handler).ctx), ErrorCode.UNAUTHENTICATED);
  });

  it('@AnyScope needs one of its scopes, and is a declaration deny-by-default sees', async () => {
    const handler = OperatorController.prototype.retry;
    expect(declaredAccess(handler, OperatorController)).toEqual({
      scopes: ['admin:operate', 'admin:write'],
      anyOf: true,
    });
    expect(guard.canActivate(context(OperatorController, handler, bearer('admin:write')).ctx)).toBe(true);
    expectError(
      () => guard.canActivate(context(OperatorController, handler, bearer('admin:read')).ctx),
      ErrorCode.FORBIDDEN,
      /one of admin:operate, admin:write/,
    );
    expect(() => AnyScope()).toThrow(/at least one/);
  });
});

describe('BearerAuthGuard with sessions', () => {
  const asked: string[] = [];
  const operator: Principal = {
    clientId: 'portal',
    subject: 'user:otto',
    scopes: ['admin:read', 'admin:operate'],
    sources: [],
    claims: {},
  };
  const sessions: SessionAuthenticator = {
    authenticate: async (req) => {
      asked.push(String(req.headers.cookie));
      return operator;
    },
  };
  const withSessions = new BearerAuthGuard(verifier, new Reflector(), sessions);
  const cookieContext = (handler: (...args: never[]) => unknown, headers: Record<string, string>) => {
    const request: AuthenticatedRequest = { headers };
    const ctx = {
      switchToHttp: () => ({ getRequest: () => request }),
      getHandler: () => handler,
      getClass: () => OperatorController,
    } as unknown as ExecutionContext;
    return { ctx, request };
  };

  it('asks the sessions for a cookie without a bearer token, and applies the session’s scopes', async () => {
    const { ctx, request } = cookieContext(OperatorController.prototype.retry, { cookie: 'ferry_session=abc' });
    // An app without sessions (the consumer, the provider) still wants a bearer token.
    expectError(() => guard.canActivate(ctx), ErrorCode.UNAUTHENTICATED, /Missing/);
    await expect(withSessions.canActivate(ctx)).resolves.toBe(true);
    expect(request.principal).toBe(operator);
    expect(asked).toEqual(['ferry_session=abc']);
  });

  it('never asks them when an Authorization header is present: the bearer path stays synchronous', () => {
    asked.length = 0;
    const { ctx } = cookieContext(OperatorController.prototype.retry, {
      cookie: 'ferry_session=abc',
      authorization: bearer('admin:write'),
    });
    expect(withSessions.canActivate(ctx)).toBe(true);
    expect(asked).toEqual([]);
  });
});

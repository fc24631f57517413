import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest, Principal } from '#ferry/auth';

/**
 * Who makes a change, as the audit log names it: a portal session (`clientId` `portal`, `subject`
 * `user:<username>`, `user`) or a service client (its `clientId` and the token's `subject`).
 */
export interface Actor {
  clientId: string;
  subject: string;
  user?: { username: string; role: string };
  /** The caller's address, when the change came over HTTP. */
  ip?: string;
}

export function actorOf(principal: Principal | undefined, ip?: string): Actor {
  if (!principal) return { clientId: 'anonymous', subject: 'anonymous', ...(ip ? { ip } : {}) };
  return {
    clientId: principal.clientId,
    subject: principal.subject,
    ...(principal.user ? { user: principal.user } : {}),
    ...(ip ? { ip } : {}),
  };
}

/** Changes made outside HTTP (the command line), named by the tool. */
export const commandLineActor = (tool: string): Actor => ({ clientId: 'cli', subject: `cli:${tool}` });

/**
 * The request's actor as a controller argument (`@CurrentActor() actor: Actor`): the guard has put
 * the principal on the request; services take the actor as a plain argument (no request scope).
 */
export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor => {
  const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
  return actorOf(req.principal, req.ip);
});

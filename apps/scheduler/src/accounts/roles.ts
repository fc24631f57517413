import type { Principal } from '#ferry/auth';
import { type OperatorRole, Scope } from '#ferry/contracts';

/** What each portal role may do (docs/contract-additions.md): each role has the scopes of the one before. */
export const ROLE_SCOPES: Record<OperatorRole, string[]> = {
  viewer: [Scope.adminRead],
  operator: [Scope.adminRead, Scope.adminOperate],
  admin: [Scope.adminRead, Scope.adminOperate, Scope.adminWrite],
};

/** The client id every portal session acts under (the audit log's `clientId`). */
export const PORTAL_CLIENT = 'portal';

/** A signed-in operator as the guard and the audit log see them. */
export function sessionPrincipal(username: string, role: OperatorRole): Principal {
  return {
    clientId: PORTAL_CLIENT,
    subject: `user:${username}`,
    scopes: [...ROLE_SCOPES[role]],
    sources: [],
    claims: {},
    user: { username, role },
  };
}

import type { ClientConfig } from '#ferry/auth';
import { type DefinitionSpec, Scope } from '#ferry/contracts';

/**
 * Whether the client `clientId` may call back for a task whose definition's target is `target`: one of
 * the target's `callbackClients`, or, for a target that names none (every definition and group run
 * stored before the field existed), one of the scheduler's default callback clients.
 */
export function mayCallBack(
  target: Pick<DefinitionSpec['target'], 'callbackClients'>,
  clientId: string | undefined,
  defaults: readonly string[],
): boolean {
  return clientId !== undefined && (target.callbackClients ?? defaults).includes(clientId);
}

/** The configured inbound clients that can call back at all (configured with `callbacks:write`). */
export function callbackCallers(clients: readonly ClientConfig[]): Set<string> {
  return new Set(clients.filter((c) => c.scopes?.includes(Scope.callbacksWrite)).map((c) => c.clientId));
}

import { createContext, useContext } from 'react';
import type { Session } from './api.js';

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a logged-in page');
  return s;
}

/** A viewer sees no button it cannot use: operator actions need admin:operate or admin:write. */
export function useCan(): { operate: boolean; write: boolean } {
  const { scopes } = useSession();
  const write = scopes.includes('admin:write');
  return { operate: write || scopes.includes('admin:operate'), write };
}

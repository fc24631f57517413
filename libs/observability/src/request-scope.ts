/** The ids a request's log line should carry, filled in by whoever learns them (e.g. the trigger's id). */
export type LogFields = Record<string, string | number | boolean | undefined>;

interface WithLocals { locals?: { ferry?: LogFields } }

/**
 * Adds ids to a request's log line, given its response. Kept on the response rather than in an
 * AsyncLocalStorage: on Node 20 one AsyncLocalStorage in use turns on promise hooks for every
 * promise of the process, which cost the callback path several percent of its CPU.
 */
export function annotateResponse(res: unknown, fields: LogFields): void {
  const locals = (res as WithLocals).locals;
  if (!locals) return;
  locals.ferry = Object.assign(locals.ferry ?? {}, fields);
}

/** The ids a request's log line should carry, filled in by whoever learns them (e.g. the trigger's id). */
export type LogFields = Record<string, string | number | boolean | undefined>;

const FIELDS = Symbol('ferry.logFields');
type WithFields = { [FIELDS]?: LogFields };

/**
 * Adds ids to a request's log line, given its response (reply) object. Kept on the response rather
 * than in an AsyncLocalStorage: on Node 20 one AsyncLocalStorage in use turns on promise hooks for
 * every promise of the process, which cost the callback path several percent of its CPU.
 */
export function annotateResponse(res: unknown, fields: LogFields): void {
  if (!res || typeof res !== 'object') return;
  Object.assign(logFieldsOf(res), fields);
}

/** The fields collected so far for this response's log line. */
export function logFieldsOf(res: object): LogFields {
  return ((res as WithFields)[FIELDS] ??= {});
}

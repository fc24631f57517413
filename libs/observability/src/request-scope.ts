import { AsyncLocalStorage } from 'node:async_hooks';

/** The ids a request's log line should carry, filled in by whoever learns them (e.g. the trigger's id). */
export type LogFields = Record<string, string | number | boolean | undefined>;

const scope = new AsyncLocalStorage<LogFields>();

export function runInRequestScope<T>(fields: LogFields, fn: () => T): T {
  return scope.run(fields, fn);
}

/** Adds ids to the current request's log line; a no-op outside a request (a queue worker). */
export function annotateRequest(fields: LogFields): void {
  const current = scope.getStore();
  if (current) Object.assign(current, fields);
}

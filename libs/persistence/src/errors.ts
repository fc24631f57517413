/** Driver errors that mean "the database is not reachable right now", as opposed to a bad query. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  'NJS-500',
  'NJS-503',
  'NJS-040',
  'DPI-1080',
  'SQLITE_BUSY',
]);
const CONNECTION_MESSAGES = new RegExp(
  [
    'Connection terminated',
    'connect ECONNREFUSED',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error',
    'terminating connection',
    'Connection ended unexpectedly',
    'the database system is (starting up|shutting down)',
  ].join('|'),
  'i',
);

export function isConnectionError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const rec = e as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof rec.code === 'string' && CONNECTION_CODES.has(rec.code)) return true;
    if (typeof rec.message === 'string' && CONNECTION_MESSAGES.test(rec.message)) return true;
    e = rec.driverError ?? rec.cause;
  }
  return false;
}

/** A unique-constraint violation on any of the supported databases. */
export function isUniqueViolation(err: unknown): boolean {
  const rec = err as {
    code?: string;
    driverError?: { code?: string; errorNum?: number };
    errorNum?: number;
    message?: string;
  };
  const code = rec.driverError?.code ?? rec.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    rec.driverError?.errorNum === 1 ||
    rec.errorNum === 1 ||
    /ORA-00001|UNIQUE constraint failed/.test(rec.message ?? '')
  );
}

/** PostgreSQL asked us to run the transaction again (deadlock, serialization failure). */
export function isRetryableTxError(err: unknown): boolean {
  const rec = err as { code?: string; driverError?: { code?: string } };
  const code = rec.driverError?.code ?? rec.code;
  return code === '40P01' || code === '40001' || code === 'SQLITE_BUSY';
}

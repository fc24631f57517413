import { Logger as NestLogger } from '@nestjs/common';
import { AbstractLogger, type LoggerOptions, type LogLevel, type LogMessage } from 'typeorm';

const REDACTED = '[REDACTED]';
/** Parameters shown as they are: ids and statuses help read a log, and hold nothing secret. */
const SHOWN = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Z][A-Z_]{0,11})$/;

/**
 * A query's parameters as a log line may carry them: numbers, booleans, nulls, UUIDs and status words;
 * any other value (secrets, payloads, names) is replaced, so turning SQL logging on leaks no data.
 */
export function redactParameters(parameters: unknown[] | Record<string, unknown>): unknown[] | Record<string, unknown> {
  const redact = (v: unknown): unknown =>
    v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
      ? v
      : typeof v === 'string' && SHOWN.test(v)
        ? v
        : REDACTED;
  return Array.isArray(parameters)
    ? parameters.map(redact)
    : Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, redact(v)]));
}

export type SqlLogWriter = (level: 'log' | 'warn' | 'error', line: string) => void;

/** A failed migration and a slow query are warnings (the failure is also thrown); queries are plain lines. */
const LEVELS: Partial<Record<string, 'warn' | 'error'>> = {
  error: 'error',
  'query-error': 'error',
  warn: 'warn',
  'query-slow': 'warn',
  migration: 'warn',
};

const nest = new NestLogger('SQL');
const toNest: SqlLogWriter = (level, line) => nest[level](line);

/**
 * TypeORM's log, through the app's logger (Nest's, so pino's JSON lines when observability is on),
 * with every query's parameters redacted. TypeORM's own console loggers print parameters as they are.
 */
export class SqlLogger extends AbstractLogger {
  constructor(
    options: LoggerOptions,
    private readonly write: SqlLogWriter = toNest,
  ) {
    super(options);
  }

  protected writeLog(level: LogLevel, message: LogMessage | string | number | Array<LogMessage | string | number>) {
    const lines = this.prepareLogMessages(message, {
      highlightSql: false,
      appendParameterAsComment: true,
      addColonToPrefix: false,
    });
    for (const m of lines) {
      const type = m.type ?? level;
      const text = `${m.prefix ? `${m.prefix}: ` : ''}${String(m.message)}`;
      this.write(LEVELS[type] ?? 'log', text);
    }
  }

  protected override stringifyParams(parameters: unknown[] | Record<string, unknown>) {
    return super.stringifyParams(redactParameters(parameters));
  }
}

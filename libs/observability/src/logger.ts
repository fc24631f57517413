import type { LoggerService } from '@nestjs/common';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { LogConfig } from './config.js';
import { currentTraceId } from './tracing.js';

export type { Logger } from 'pino';

const CENSOR = '[REDACTED]';
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'token',
  'accessToken',
  'password',
  'passphrase',
  'secret',
  'privateKey',
  'apiKey',
  'clientSecret',
];

/**
 * Paths pino removes before a line is written. Our own serializers never log headers or bodies;
 * this list is the second line of defence for objects passed to a log call by mistake.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]),
  'key.secret',
  '*.key.secret',
  '*.*.key.secret',
  '*.keys[*].secret',
  '*.keys[*].privateKey',
];

/**
 * The hot path (one line per request, one per task move) logs objects built field by field from ids
 * and statuses, so deep wildcard redaction there only costs time (10x per line, measured): its
 * logger redacts the obvious top-level names and the request's credentials headers only.
 */
export const HOT_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'authorization',
  'token',
  'secret',
  'password',
  'privateKey',
];

export function hotPathLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: HOT_REDACT_PATHS, censor: CENSOR } });
}

/** Free text (Nest log messages, error messages) can carry secrets too: bearer tokens, JWTs, URL credentials. */
export function scrub(text: string): string {
  return text
    .replace(/(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${CENSOR}`)
    .replace(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, CENSOR)
    .replace(/(\/\/[^/\s:@]+:)[^@\s/]+@/g, `$1${CENSOR}@`)
    .replace(/((?:token|secret|password|passphrase)["']?\s*[:=]\s*["']?)[^"'\s,&}]+/gi, `$1${CENSOR}`);
}

/**
 * One pino logger per app. JSON lines go through an asynchronous SonicBoom so that a busy hot path
 * never waits on a slow stdout; `pretty` (the demo, a developer's terminal) is coloured text.
 */
export async function createLogger(
  service: string,
  config: LogConfig,
  destination?: DestinationStream,
): Promise<Logger> {
  const options: LoggerOptions = {
    level: config.level,
    base: { app: service },
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Only when a span is active: a cheap context lookup, nothing at all when tracing is off.
    mixin: () => {
      const traceId = currentTraceId();
      return traceId ? { traceId } : {};
    },
  };
  if (destination) return pino(options, destination);
  if (config.format === 'pretty') {
    // A dev dependency, loaded only when asked for; production images print JSON.
    const { default: pretty } = await import('pino-pretty');
    return pino(
      options,
      pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true }),
    );
  }
  return pino(options, pino.destination({ dest: 1, sync: false, minLength: 4096 }));
}

/** Nest's own log calls (bootstrap, `new Logger(...)` in services) as pino lines of the same app. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack?, context?).
    const context = rest.length && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const stack = typeof rest[0] === 'string' ? scrub(rest[0]) : undefined;
    if (message instanceof Error)
      this.logger.error(
        { context, err: { type: message.name, message: scrub(message.message), stack: scrub(message.stack ?? '') } },
        scrub(message.message),
      );
    else this.logger.error({ context, ...(stack ? { stack } : {}) }, scrub(String(message)));
  }

  private write(level: 'info' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, rest: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const context = rest.length && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    if (message !== null && typeof message === 'object' && !(message instanceof Error))
      this.logger[level]({ context, ...(message as object) });
    else this.logger[level]({ context }, scrub(message instanceof Error ? message.message : String(message)));
  }
}

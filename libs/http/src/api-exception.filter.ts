import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { ApiError, ErrorCode } from '#ferry/errors';
import { isConnectionError } from '#ferry/persistence';

/** Maps every error to the contract's body `{"error": {code, message, details}}`. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<FastifyReply>();
    const err = toApiError(exception);
    if (err.status >= 500 && err.code !== ErrorCode.UNAVAILABLE) {
      const correlationId = randomUUID();
      this.logger.error(`Unhandled error ${correlationId}: ${(exception as Error)?.stack ?? String(exception)}`);
      err.details.push({ path: '', problem: `correlationId ${correlationId}` });
    }
    if (res.sent || res.raw.headersSent) return;
    for (const [k, v] of Object.entries(err.headers)) void res.header(k, v);
    void res.status(err.status).header('content-type', 'application/json; charset=utf-8').send(err.toBody());
  }
}

export function toApiError(exception: unknown): ApiError {
  if (exception instanceof ApiError) return exception;
  // Fastify's own errors (body reading and parsing, before any route runs) carry a FST_ code.
  const code = (exception as { code?: unknown })?.code;
  if (typeof code === 'string' && code.startsWith('FST_')) {
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return new ApiError(ErrorCode.PAYLOAD_TOO_LARGE, 'The request body is larger than the configured limit');
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return new ApiError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Content-Type must be application/json');
    if (
      code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' ||
      code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      code === 'FST_ERR_CTP_INVALID_JSON_BODY'
    ) {
      return new ApiError(ErrorCode.MALFORMED_JSON, 'The request body is not valid JSON');
    }
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 404) return new ApiError(ErrorCode.NOT_FOUND, 'No such route');
    if (status === 413)
      return new ApiError(ErrorCode.PAYLOAD_TOO_LARGE, 'The request body is larger than the configured limit');
    if (status === 400) return new ApiError(ErrorCode.VALIDATION_FAILED, exception.message);
    if (status === 401) return new ApiError(ErrorCode.UNAUTHENTICATED, exception.message);
    if (status === 403) return new ApiError(ErrorCode.FORBIDDEN, exception.message);
  }
  if (isConnectionError(exception) || isRedisDown(exception)) {
    return ApiError.unavailable('A dependency (database or Redis) is unavailable; retry later');
  }
  return new ApiError(ErrorCode.INTERNAL, 'Internal error');
}

const REDIS_DOWN =
  /Connection is closed|Stream isn't writeable|MaxRetriesPerRequestError|Reached the max retries per request/i;

function isRedisDown(e: unknown): boolean {
  return REDIS_DOWN.test((e as Error)?.message ?? '');
}

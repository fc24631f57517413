import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { ApiError, ErrorCode } from '#ferry/errors';
import { isConnectionError } from '#ferry/persistence';

/** Maps every error to the contract's body `{"error": {code, message, details}}`. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const err = toApiError(exception);
    if (err.status >= 500 && err.code !== ErrorCode.UNAVAILABLE) {
      const correlationId = randomUUID();
      this.logger.error(`Unhandled error ${correlationId}: ${(exception as Error)?.stack ?? String(exception)}`);
      err.details.push({ path: '', problem: `correlationId ${correlationId}` });
    }
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
    res.status(err.status).json(err.toBody());
  }
}

export function toApiError(exception: unknown): ApiError {
  if (exception instanceof ApiError) return exception;
  // body-parser errors carry a `type`; they reach us bare or, since Nest maps them, as the `cause` of an HttpException.
  const cause = (exception as { cause?: { type?: unknown } })?.cause;
  const e = (typeof cause?.type === 'string' ? cause : exception) as { type?: string; status?: number; statusCode?: number; message?: string };
  if (e?.type === 'entity.too.large') return new ApiError(ErrorCode.PAYLOAD_TOO_LARGE, 'The request body is larger than the configured limit');
  if (e?.type === 'entity.parse.failed') return new ApiError(ErrorCode.MALFORMED_JSON, 'The request body is not valid JSON');
  if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') {
    return new ApiError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, e.message ?? 'Unsupported encoding');
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 404) return new ApiError(ErrorCode.NOT_FOUND, 'No such route');
    if (status === 413) return new ApiError(ErrorCode.PAYLOAD_TOO_LARGE, 'The request body is larger than the configured limit');
    if (status === 400) return new ApiError(ErrorCode.VALIDATION_FAILED, exception.message);
    if (status === 401) return new ApiError(ErrorCode.UNAUTHENTICATED, exception.message);
    if (status === 403) return new ApiError(ErrorCode.FORBIDDEN, exception.message);
  }
  if (isConnectionError(exception) || isRedisDown(exception)) {
    return ApiError.unavailable('A dependency (database or Redis) is unavailable; retry later');
  }
  return new ApiError(ErrorCode.INTERNAL, 'Internal error');
}

function isRedisDown(e: unknown): boolean {
  const m = (e as Error)?.message ?? '';
  return /Connection is closed|Stream isn't writeable|MaxRetriesPerRequestError|Reached the max retries per request/i.test(m);
}

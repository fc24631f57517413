import { errorBodySchema } from '#ferry/contracts';
import { schemaRef } from './schema-refs.js';

/** What each error status means (docs/contract.md, "Errors"); every one answers the contract's error body. */
export const ERROR_MEANINGS = {
  400: 'MALFORMED_JSON: the body is not JSON',
  401: 'UNAUTHENTICATED: no token, or one that is not valid here',
  403: 'FORBIDDEN: a valid token without the scope this operation needs',
  404: 'NOT_FOUND: the id does not exist',
  409: 'CONFLICT: the state does not allow the action',
  413: 'PAYLOAD_TOO_LARGE: the body is over the configured limit',
  415: 'UNSUPPORTED_MEDIA_TYPE: the body is not JSON in UTF-8',
  422: 'VALIDATION_FAILED: not of the schema; `details` says where',
  429: 'RATE_LIMITED: too many requests from this client; retry after `Retry-After` seconds',
  500: 'INTERNAL: an unexpected error, logged with the correlation id given in `details`',
  503: 'UNAVAILABLE: a dependency (database, Redis) is down; nothing was half-written; retry',
} as const;
export type ErrorStatus = keyof typeof ERROR_MEANINGS;

const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
};

export function errorResponse(status: ErrorStatus, meaning: string = ERROR_MEANINGS[status]) {
  return {
    description: meaning,
    ...(status === 429 || status === 503 ? { headers: retryAfter } : {}),
    content: { 'application/json': { schema: schemaRef(errorBodySchema) } },
  };
}

/** Errors any authenticated operation may answer. */
export const COMMON_ERRORS: ErrorStatus[] = [401, 403, 429, 500, 503];
/** Errors any operation that reads a body may answer, before its own checks. */
export const BODY_ERRORS: ErrorStatus[] = [400, 413, 415];

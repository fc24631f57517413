/** Stable error codes of the wire contract (docs/contract.md, "Errors"). */
export const ErrorCode = {
  MALFORMED_JSON: 'MALFORMED_JSON',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorDetail {
  path: string;
  problem: string;
}

const STATUS: Record<ErrorCode, number> = {
  MALFORMED_JSON: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_FAILED: 422,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** An error with a contract code; the HTTP layer maps it to its status and body. */
export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = STATUS[code];
  }

  toBody(): { error: { code: ErrorCode; message: string; details: ErrorDetail[] } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }

  static notFound(what: string, id: string): ApiError {
    return new ApiError(ErrorCode.NOT_FOUND, `${what} ${id} does not exist`);
  }

  static conflict(message: string): ApiError {
    return new ApiError(ErrorCode.CONFLICT, message);
  }

  static validation(details: ErrorDetail[], message = 'The request does not match the schema'): ApiError {
    return new ApiError(ErrorCode.VALIDATION_FAILED, message, details);
  }

  static unauthenticated(message: string): ApiError {
    return new ApiError(ErrorCode.UNAUTHENTICATED, message);
  }

  static forbidden(message: string): ApiError {
    return new ApiError(ErrorCode.FORBIDDEN, message);
  }

  static unavailable(message: string): ApiError {
    return new ApiError(ErrorCode.UNAVAILABLE, message, [], { 'Retry-After': '5' });
  }
}

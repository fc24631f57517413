import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { ANY_SCOPE_KEY, PUBLIC_KEY, SCOPES_KEY } from '#ferry/auth';
import { ERROR_MEANINGS, type ErrorStatus, errorResponse } from './errors.js';
import { schemaRef } from './schema-refs.js';

export interface ParamDoc {
  /** An inline JSON Schema (parameters are plain strings or numbers, not contract shapes). */
  schema: object;
  description: string;
  required?: boolean;
}

export interface OperationDoc {
  summary: string;
  /** The contract schema the body is validated against. */
  body?: object;
  bodyOptional?: boolean;
  /** Success statuses: the contract schema of each answer, and when it is given. */
  answers: Partial<Record<200 | 201 | 202, { schema: object; description: string }>> & {
    /** No content (e.g. a logout). */
    204?: { description: string };
  };
  /** This operation's own errors, with what they mean here (the common ones are added to every operation). */
  errors?: Partial<Record<ErrorStatus, string>>;
  params?: Record<string, string>;
  query?: Record<string, ParamDoc>;
  headers?: Record<string, ParamDoc>;
}

/**
 * Documents one route from the contract's schemas. Place it above `@Scopes(...)`: it reads the scopes
 * that decorator recorded, so the document names the scope the route really checks.
 */
export function ApiDoc(doc: OperationDoc): MethodDecorator {
  return (target, key, descriptor) => {
    const scopes = Reflect.getMetadata(SCOPES_KEY, descriptor.value as object) as string[] | undefined;
    const publicReason = Reflect.getMetadata(PUBLIC_KEY, descriptor.value as object) as string | undefined;
    if (!scopes && publicReason === undefined)
      throw new Error(`@ApiDoc on ${String(key)} must sit above its @Scopes(...) or @Public(...)`);
    const either = Reflect.getMetadata(ANY_SCOPE_KEY, descriptor.value as object) === true ? ' or ' : ' and ';
    const needs = !scopes
      ? `Needs no token: ${publicReason}.`
      : scopes.length
        ? `Needs scope ${scopes.map((s) => `\`${s}\``).join(either)}.`
        : 'Needs a token.';
    const decorators = [
      ApiOperation({ summary: doc.summary, description: needs }),
      ...Object.entries(doc.answers).map(([status, a]) =>
        'schema' in a
          ? ApiResponse({ status: Number(status), description: a.description, schema: schemaRef(a.schema) })
          : ApiResponse({ status: Number(status), description: a.description }),
      ),
      ...Object.entries({ ...(doc.body ? { 422: ERROR_MEANINGS[422] } : {}), ...doc.errors }).map(([status, text]) =>
        ApiResponse({ status: Number(status), ...errorResponse(Number(status) as ErrorStatus, meaning(status, text)) }),
      ),
      ...Object.entries(doc.params ?? {}).map(([name, description]) => ApiParam({ name, description })),
      ...Object.entries(doc.query ?? {}).map(([name, p]) =>
        ApiQuery({ name, required: p.required ?? false, description: p.description, schema: p.schema }),
      ),
      ...Object.entries(doc.headers ?? {}).map(([name, p]) =>
        ApiHeader({ name, required: p.required ?? false, description: p.description, schema: p.schema }),
      ),
    ];
    if (doc.body) decorators.push(ApiBody({ schema: schemaRef(doc.body), required: !doc.bodyOptional }));
    applyDecorators(...decorators)(target, key, descriptor);
  };
}

/** `CODE: what it means here`, the code taken from the contract's table. */
function meaning(status: string, text: string): string {
  const general = ERROR_MEANINGS[Number(status) as ErrorStatus];
  return text === general ? text : `${general.split(':')[0]}: ${text}`;
}

/** The `cursor` and `limit` query parameters of a list, as its handler checks them (422 otherwise). */
export function pageQuery(max: number, fallback: number): Record<string, ParamDoc> {
  return {
    cursor: { schema: { type: 'string' }, description: 'The `nextCursor` of the previous page; absent for the first' },
    limit: {
      schema: { type: 'integer', minimum: 1, maximum: max, default: fallback },
      description: `Items per page, 1 to ${max}`,
    },
  };
}

import type { PipeTransform } from '@nestjs/common';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ApiError, type ErrorDetail } from '#ferry/errors';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false, useDefaults: false }));

/** Compiles a JSON Schema once; the returned function throws 422 with field paths, or returns the typed value. */
export function compileSchema<T>(schema: object): (value: unknown) => T {
  const validate: ValidateFunction = ajv.compile(schema);
  return (value: unknown): T => {
    if (validate(value)) return value as T;
    throw ApiError.validation(toDetails(validate.errors ?? []));
  };
}

/** Same as compileSchema, but answers the problems instead of throwing. */
export function compileChecker(schema: object): (value: unknown) => ErrorDetail[] {
  const validate: ValidateFunction = ajv.compile(schema);
  return (value) => (validate(value) ? [] : toDetails(validate.errors ?? []));
}

function toDetails(errors: ErrorObject[]): ErrorDetail[] {
  return errors.slice(0, 20).map((e) => {
    let path = jsonPointerToPath(e.instancePath);
    if (e.keyword === 'required') path = joinPath(path, String(e.params.missingProperty));
    if (e.keyword === 'additionalProperties') path = joinPath(path, String(e.params.additionalProperty));
    const problem =
      e.keyword === 'additionalProperties'
        ? 'is not allowed'
        : e.keyword === 'required'
          ? 'is required'
          : (e.message ?? 'is invalid');
    return { path: path || '(body)', problem };
  });
}

function jsonPointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .reduce(
      (acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : joinPath(acc, seg.replace(/~1/g, '/').replace(/~0/g, '~'))),
      '',
    );
}

function joinPath(base: string, key: string): string {
  return base ? `${base}.${key}` : key;
}

/** Validates a body against a contract schema (422 with field paths); a request without a body passes as such. */
export class SchemaPipe<T> implements PipeTransform<unknown, T | undefined> {
  private readonly check: (value: unknown) => T;

  constructor(schema: object) {
    this.check = compileSchema<T>(schema);
  }

  transform(value: unknown): T | undefined {
    return value === undefined ? undefined : this.check(value);
  }
}

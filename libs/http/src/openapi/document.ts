import type { OpenAPIObject } from '@nestjs/swagger';
import { BODY_ERRORS, COMMON_ERRORS, errorResponse } from './errors.js';
import { componentsFor } from './schema-refs.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const WITH_BODY = new Set<string>(['post', 'put', 'patch']);

/**
 * Completes the document @nestjs/swagger builds from the decorators. It declares OpenAPI 3.1, whose
 * schemas are JSON Schema 2020-12: the dialect the contract's schemas are written in (a numeric
 * `exclusiveMinimum`, `type: [..., "null"]`), so they are published as they validate, not translated.
 * Every operation gets the errors any request may meet, and the named schemas it refers to.
 */
export function completeOpenApiDocument(doc: OpenAPIObject): OpenAPIObject {
  doc.openapi = '3.1.0';
  for (const item of Object.values(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const statuses = [...(op.security?.length ? COMMON_ERRORS : []), ...(WITH_BODY.has(method) ? BODY_ERRORS : [])];
      const responses: Record<string, unknown> = { ...op.responses };
      for (const status of statuses) responses[status] ??= errorResponse(status);
      op.responses = Object.fromEntries(
        Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)),
      ) as typeof op.responses;
    }
  }
  const schemas = { ...doc.components?.schemas, ...componentsFor(doc.paths) } as Record<string, object>;
  doc.components = { ...doc.components, schemas };
  return doc;
}

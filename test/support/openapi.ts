import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import type { JsonResponse } from '#ferry/testing';

export type OpenApiDoc = any;
type Operation = { responses: Record<string, { content?: Record<string, { schema: object }> }> };

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const BASE = 'https://ferry.test/openapi.json';

/** `token`: any token of that app with a scope (the documents are not public unless FERRY_DOCS_PUBLIC). */
export async function fetchDocument(appUrl: string, token: string): Promise<OpenApiDoc> {
  const res = await fetch(`${appUrl}/docs/openapi.json`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET /docs/openapi.json: ${res.status}`);
  return res.json();
}

/** The standard validator's verdict (it rewrites what it is given, so it gets a copy). */
export async function validateDocument(doc: OpenApiDoc): Promise<void> {
  await SwaggerParser.validate(structuredClone(doc));
}

/**
 * The document's component schemas as one strict JSON Schema 2020-12 (what OpenAPI 3.1 says they are).
 * `closed`: objects that list their properties admit no others, so that an answer carrying a field the
 * document does not mention fails the check (the published document stays open to added fields).
 */
export function schemaCompiler(doc: OpenApiDoc, opts: { closed?: boolean } = {}): (schema: object) => ValidateFunction {
  // strictRequired off: `oneOf: [{required: ['cron']}, {required: ['everySeconds']}]` (a schedule) is plain
  // JSON Schema, its properties declared beside the oneOf, which Ajv's strict check does not look at.
  const ajv = addFormats(new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true }));
  const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('"#/components/schemas/', '"#/$defs/'));
  ajv.addSchema({ $id: BASE, $defs: opts.closed ? close(defs) : defs });
  return (schema) =>
    ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${BASE}#/$defs/`)));
}

function close(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(close);
  if (value === null || typeof value !== 'object') return value;
  const out = Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === 'properties' ? mapValues(v, close) : close(v)]),
  );
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}

const mapValues = (o: unknown, f: (v: unknown) => unknown) =>
  Object.fromEntries(Object.entries(o as object).map(([k, v]) => [k, f(v)]));

/** Checks real answers against what the document declares for their operation and status; remembers which. */
export function answerChecker(doc: OpenApiDoc) {
  const compile = schemaCompiler(doc, { closed: true });
  const checked = new Set<string>();
  return {
    checked,
    check(method: string, template: string, res: JsonResponse): void {
      const op = doc.paths[template]?.[method.toLowerCase()] as Operation | undefined;
      if (!op) throw new Error(`the document has no ${method} ${template}`);
      const response = op.responses[String(res.status)];
      // An answer without content (204) is declared without a schema, and has no body.
      if (res.status === 204 && response && !response.content && res.body === undefined) {
        checked.add(`${method.toUpperCase()} ${template} ${res.status}`);
        return;
      }
      const declared = response?.content?.['application/json']?.schema;
      if (!declared)
        throw new Error(`${method} ${template} answered ${res.status}, which the document does not declare`);
      const validate = compile(declared);
      if (!validate(res.body))
        throw new Error(
          `${method} ${template} ${res.status} does not match its schema: ${JSON.stringify(validate.errors)}\n` +
            JSON.stringify(res.body),
        );
      checked.add(`${method.toUpperCase()} ${template} ${res.status}`);
    },
  };
}

/** openapi-typescript's client types for each document, compiled with `usage` by TypeScript: the diagnostics. */
export async function compileGeneratedClient(docs: Record<string, OpenApiDoc>, usage: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-openapi-'));
  try {
    const files = [join(dir, 'usage.ts')];
    writeFileSync(files[0], usage);
    for (const [name, doc] of Object.entries(docs)) {
      files.push(join(dir, `${name}.ts`));
      writeFileSync(files[files.length - 1], astToString(await openapiTS(structuredClone(doc))));
    }
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts'],
      types: [],
    });
    return ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

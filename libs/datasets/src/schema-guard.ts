import type { ErrorDetail } from '#ferry/errors';

/**
 * What a dataset's record schema may be. The provider checks it when a dataset is defined, and the
 * consumer again before it compiles one (a provider is trusted with data, not with the consumer's
 * memory, stack or network): plain draft-07 JSON Schema, local references only, and bounded in size
 * and depth so that compiling it cannot take a worker thread down.
 */
export const RECORD_SCHEMA_LIMITS = {
  /** As JSON; a record schema of the 200 mapped columns and more is far smaller. */
  maxBytes: 256 * 1024,
  /** JSON nesting (a nested record costs two levels: `properties` and the field's schema). */
  maxDepth: 32,
  /** A `pattern` is a regular expression run on every record. */
  maxPatternLength: 1000,
} as const;

const DRAFT_07 = new Set(['http://json-schema.org/draft-07/schema#', 'http://json-schema.org/draft-07/schema']);

/** Keywords whose value is one schema, a map of schemas, an array of schemas, or data. */
const ONE = new Set([
  'additionalProperties',
  'additionalItems',
  'contains',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
]);
const MAP = new Set(['properties', 'patternProperties', 'definitions', '$defs']);
const LIST = new Set(['allOf', 'anyOf', 'oneOf']);
const DATA = new Set(['enum', 'const', 'default', 'examples']);
/** Draft-07 validation keywords and annotations; anything else (an `$id`, another draft's keyword) is refused. */
const ALLOWED = new Set([
  ...ONE,
  ...MAP,
  ...LIST,
  ...DATA,
  'items',
  'dependencies',
  '$ref',
  '$schema',
  '$comment',
  'type',
  'required',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minProperties',
  'maxProperties',
  'title',
  'description',
  'readOnly',
  'writeOnly',
  'contentMediaType',
  'contentEncoding',
]);
const WHY_NOT: Record<string, string> = {
  $id: 'is not allowed: a record schema may not name itself or move its base URI',
  id: 'is not allowed: a record schema may not name itself or move its base URI',
  $anchor: 'is not allowed: only `#/…` references are',
};
const MAX_PROBLEMS = 20;

/** The problems of a record schema, each with where it is (`schema.properties.id.$ref`); none: it may be compiled. */
export function checkRecordSchema(schema: unknown, path = 'schema'): ErrorDetail[] {
  // Depth first, without recursion: a deep enough document would overflow the stack of any recursive check.
  const depth = depthOf(schema, RECORD_SCHEMA_LIMITS.maxDepth);
  if (depth > RECORD_SCHEMA_LIMITS.maxDepth)
    return [{ path, problem: `is nested more than ${RECORD_SCHEMA_LIMITS.maxDepth} levels deep` }];
  const bytes = Buffer.byteLength(JSON.stringify(schema) ?? '');
  if (bytes > RECORD_SCHEMA_LIMITS.maxBytes)
    return [{ path, problem: `is ${bytes} bytes as JSON, more than the ${RECORD_SCHEMA_LIMITS.maxBytes} allowed` }];
  if (!isObject(schema)) return [{ path, problem: 'must be an object' }];
  const problems: ErrorDetail[] = [];
  visit(schema, path, true, problems);
  return problems.slice(0, MAX_PROBLEMS);
}

function visit(node: unknown, path: string, root: boolean, problems: ErrorDetail[]): void {
  if (typeof node === 'boolean') return;
  if (!isObject(node)) return void problems.push({ path, problem: 'must be a schema (an object or a boolean)' });
  for (const [key, value] of Object.entries(node)) {
    const at = `${path}.${key}`;
    if (!ALLOWED.has(key))
      problems.push({ path: at, problem: WHY_NOT[key] ?? 'is not a draft-07 keyword allowed here' });
    else keyword(key, value, at, root, problems);
  }
}

/** One allowed keyword: its own check, or the schemas it holds visited. */
function keyword(key: string, value: unknown, at: string, root: boolean, problems: ErrorDetail[]): void {
  const sub = (v: unknown, p: string) => visit(v, p, false, problems);
  if (key === '$ref') {
    if (typeof value !== 'string' || !/^#(\/.*)?$/.test(value))
      problems.push({ path: at, problem: 'only local references (`#` or `#/…`) are allowed' });
  } else if (key === '$schema') {
    if (!root || !DRAFT_07.has(String(value)))
      problems.push({ path: at, problem: 'only draft-07 (http://json-schema.org/draft-07/schema#), at the root' });
  } else if (key === 'pattern') checkPattern(value, at, problems);
  else if (ONE.has(key)) sub(value, at);
  else if (LIST.has(key)) {
    if (!Array.isArray(value)) problems.push({ path: at, problem: 'must be an array of schemas' });
    else value.forEach((v, i) => sub(v, `${at}[${i}]`));
  } else if (key === 'items') {
    if (Array.isArray(value)) value.forEach((v, i) => sub(v, `${at}[${i}]`));
    else sub(value, at);
  } else if (MAP.has(key) || key === 'dependencies') {
    if (!isObject(value)) return void problems.push({ path: at, problem: 'must be an object' });
    for (const [name, v] of Object.entries(value)) {
      if (key === 'patternProperties') checkPattern(name, `${at}.${name}`, problems);
      // `dependencies` maps a property to a schema or to the names it requires.
      if (key !== 'dependencies' || !Array.isArray(v)) sub(v, `${at}.${name}`);
    }
  }
}

function checkPattern(value: unknown, path: string, problems: ErrorDetail[]): void {
  if (typeof value !== 'string') return void problems.push({ path, problem: 'must be a string' });
  if (value.length > RECORD_SCHEMA_LIMITS.maxPatternLength)
    return void problems.push({ path, problem: `is longer than ${RECORD_SCHEMA_LIMITS.maxPatternLength} characters` });
  try {
    new RegExp(value, 'u');
  } catch {
    problems.push({ path, problem: 'is not a valid regular expression' });
  }
}

/** The JSON nesting depth of `value`, counting stops once past `limit`. */
function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, d);
    if (deepest > limit) return deepest;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return deepest;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

import { contractSchemas } from '#ferry/contracts';

const names = new Map<object, string>(Object.entries(contractSchemas).map(([name, schema]) => [schema, name]));

/** `{"$ref": "#/components/schemas/<name>"}` for a contract schema; any other object is a mistake caught at boot. */
export function schemaRef(schema: object): { $ref: string } {
  const name = names.get(schema);
  if (!name) throw new Error('OpenAPI: this schema is not one of the named contract schemas (libs/contracts)');
  return { $ref: `#/components/schemas/${name}` };
}

/**
 * The named schemas an OpenAPI document refers to, and those they refer to in turn, each written out
 * once: a contract schema nested in another becomes a `$ref` to its own component.
 */
export function componentsFor(roots: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const pending = [...refsIn(roots)];
  while (pending.length) {
    const name = pending.pop()!;
    if (name in out) continue;
    const schema = contractSchemas[name as keyof typeof contractSchemas] as object | undefined;
    if (!schema) throw new Error(`OpenAPI: no contract schema named ${name}`);
    out[name] = withRefs(schema, true);
    pending.push(...refsIn(out[name]));
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

function withRefs(value: unknown, root = false): unknown {
  if (Array.isArray(value)) return value.map((v) => withRefs(v));
  if (value === null || typeof value !== 'object') return value;
  if (!root && names.has(value)) return schemaRef(value);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withRefs(v)]));
}

function refsIn(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) refsIn(v, found);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/'))
        found.add(v.slice('#/components/schemas/'.length));
      else refsIn(v, found);
    }
  }
  return found;
}

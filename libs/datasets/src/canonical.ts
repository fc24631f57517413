/**
 * Canonical JSON as the contract's checksum needs it: object keys sorted (UTF-16 code-unit order,
 * JavaScript's default sort), no insignificant whitespace. Undefined members are skipped, as in
 * JSON.stringify, so a record and its round trip through JSON hash the same.
 */
export function canonicalJson(value: unknown): string {
  // Hot path (every record the consumer receives): parsed JSON whose keys are sorted already
  // serialises the same with the native JSON.stringify, at a fraction of the cost.
  return isPlainSorted(value, 0) ? JSON.stringify(value) : slowCanonical(value);
}

/**
 * True when JSON.stringify would give the canonical text: only JSON values (plain objects, arrays,
 * strings, finite numbers, booleans, null) and every object's keys already in sorted order (then
 * Object.keys order, which JSON.stringify follows, is the sorted order too).
 */
function isPlainSorted(v: unknown, depth: number): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'object' || depth > 64) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!isPlainSorted(v[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  const obj = v as Record<string, unknown>;
  let prev: string | undefined;
  for (const k in obj) {
    if (prev !== undefined && prev > k) return false;
    if (!isPlainSorted(obj[k], depth + 1)) return false;
    prev = k;
  }
  return true;
}

function slowCanonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const v = value[i];
      out += v === undefined || typeof v === 'function' ? 'null' : slowCanonical(v);
    }
    return out + ']';
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  // Records usually arrive already sorted (the provider stores them canonical); skip the sort then.
  if (!isSorted(keys)) keys.sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined || typeof v === 'function') continue;
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(k) + ':' + slowCanonical(v);
  }
  return out + '}';
}

function isSorted(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return false;
  return true;
}

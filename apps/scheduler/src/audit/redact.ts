/** Property names whose values never reach the audit log, whatever object carries them. */
const SECRET_KEY = /secret|password|passphrase|private.?key|token|credential|authorization|cookie/i;

/**
 * A copy of `value` without secrets: any property named like one is replaced by `"[redacted]"`, unless its
 * value is a flag or null (`passwordChanged: true` tells what happened, not the password).
 */
export function redacted(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 20) return value;
  if (Array.isArray(value)) return value.map((v) => redacted(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      SECRET_KEY.test(k) && v !== null && typeof v !== 'boolean' ? '[redacted]' : redacted(v, depth + 1),
    ]),
  );
}

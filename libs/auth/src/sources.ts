/**
 * Whether a trigger source matches a client's allowed list: `*` is any source, `billing.*` is any
 * source under `billing.` (a team owns a family of sources), anything else must match exactly.
 */
export function sourceAllowed(allowed: readonly string[], source: string): boolean {
  return allowed.some((pattern) => {
    if (pattern === '*') return true;
    if (pattern.endsWith('.*')) return source.startsWith(pattern.slice(0, -1)) && source.length > pattern.length - 1;
    return pattern === source;
  });
}

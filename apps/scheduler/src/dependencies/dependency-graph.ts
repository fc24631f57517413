/** Upstream names by definition name: the stored graph. */
export type UpstreamGraph = ReadonlyMap<string, readonly string[]>;

/**
 * The cycle that saving `name` with these upstreams would close, as names from `name` back to itself
 * (e.g. [a, b, c, a]); undefined when there is none. The stored graph is acyclic (every save was checked),
 * so a new cycle must pass through `name`: a walk from its new upstreams that reaches it finds it.
 */
export function findCycle(graph: UpstreamGraph, name: string, upstreams: readonly string[]): string[] | undefined {
  const seen = new Set<string>();
  const walk = (node: string, path: string[]): string[] | undefined => {
    if (node === name) return [name, ...path, name];
    if (seen.has(node)) return undefined;
    seen.add(node);
    for (const next of graph.get(node) ?? []) {
      const found = walk(next, [...path, node]);
      if (found) return found;
    }
    return undefined;
  };
  for (const upstream of upstreams) {
    const found = walk(upstream, []);
    if (found) return found;
  }
  return undefined;
}

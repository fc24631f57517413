import type { EntityManager } from 'typeorm';
import type { DefinitionSpec, DependencyPolicy } from '#ferry/contracts';
import type { ErrorDetail } from '#ferry/errors';
import { DefinitionEntity, DependencyEntity } from '../persistence/index.js';
import { findCycle } from './dependency-graph.js';

export const DEFAULT_POLICY: DependencyPolicy = 'ONCE_PER_DATE';

/**
 * What is wrong with a definition's `dependsOn`, read in the transaction that saves it: an upstream that
 * names no definition, the definition itself, or one that closes a cycle in the stored graph. A definition
 * others depend on keeps its name: their edges name it.
 */
export async function dependencyProblems(
  em: EntityManager,
  spec: DefinitionSpec,
  saved?: DefinitionEntity,
): Promise<ErrorDetail[]> {
  const problems: ErrorDetail[] = [];
  if (
    saved &&
    saved.name !== spec.name &&
    (await em.getRepository(DependencyEntity).existsBy({ upstreamName: saved.name }))
  )
    problems.push({ path: 'name', problem: `cannot change: other definitions depend on ${saved.name}` });
  const upstreams = (spec.dependsOn ?? []).map((d) => d.definition);
  if (!upstreams.length) return problems;
  const definitions = await em.getRepository(DefinitionEntity).find({ select: { id: true, name: true } });
  const names = new Set(definitions.map((d) => d.name));
  const graph = await storedGraph(em, new Map(definitions.map((d) => [d.id, d.name])));
  for (const [i, upstream] of upstreams.entries()) {
    if (upstream === spec.name) problems.push({ path: `dependsOn[${i}]`, problem: 'names the definition itself' });
    else if (!names.has(upstream)) problems.push({ path: `dependsOn[${i}]`, problem: 'names no definition' });
    else {
      const cycle = findCycle(graph, spec.name, [upstream]);
      if (cycle) problems.push({ path: `dependsOn[${i}]`, problem: `closes a cycle: ${cycle.join(' → ')}` });
    }
  }
  return problems;
}

/** Replaces a definition's stored edges with its spec's, in the transaction that saves it. */
export async function replaceDependencies(em: EntityManager, definitionId: string, spec: DefinitionSpec) {
  await em.delete(DependencyEntity, { definitionId });
  const unique = [...new Map((spec.dependsOn ?? []).map((d) => [d.definition, d])).values()];
  if (unique.length)
    await em.insert(
      DependencyEntity,
      unique.map((d) => ({ definitionId, upstreamName: d.definition, policy: d.policy ?? DEFAULT_POLICY })),
    );
}

/** Upstream names by definition name, as stored. */
async function storedGraph(em: EntityManager, nameOf: Map<string, string>): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const e of await em.getRepository(DependencyEntity).find()) {
    const name = nameOf.get(e.definitionId);
    if (name) graph.set(name, [...(graph.get(name) ?? []), e.upstreamName]);
  }
  return graph;
}

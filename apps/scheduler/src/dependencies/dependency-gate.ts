import { In, type EntityManager } from 'typeorm';
import type { DefinitionSpec, FileRef } from '#ferry/contracts';
import { DefinitionEntity, GroupRunEntity, TaskRunEntity } from '../persistence/index.js';

export interface DependencyGate {
  met: boolean;
  /** The upstreams (names, in `dependsOn` order) without a SUCCEEDED group run for the date. */
  missing: string[];
}

/**
 * A definition bound to messages or to a schedule starts from its own trigger, held (WAITING) until its
 * upstreams are met; one with dependencies alone is fired by the resolver itself.
 */
export const waitsForOwnTrigger = (spec: DefinitionSpec): boolean => spec.bindings.length > 0 || !!spec.schedule;

const upstreamNames = (definition: DefinitionEntity): string[] =>
  ((definition.spec as DefinitionSpec).dependsOn ?? []).map((d) => d.definition);

/** Whether each upstream of `definition` has a SUCCEEDED group run for `businessDate` (ix_group_definition_date). */
export async function dependencyGate(
  em: EntityManager,
  definition: DefinitionEntity,
  businessDate: string,
): Promise<DependencyGate> {
  const runs = await upstreamSuccesses(em, definition, businessDate);
  const missing = upstreamNames(definition).filter((name) => !runs.has(name));
  return { met: missing.length === 0, missing };
}

/** Each upstream's latest SUCCEEDED group run for the date, by upstream name (absent: none). */
export async function upstreamSuccesses(
  em: EntityManager,
  definition: DefinitionEntity,
  businessDate: string,
): Promise<Map<string, GroupRunEntity>> {
  const names = upstreamNames(definition);
  const found = new Map<string, GroupRunEntity>();
  if (!names.length) return found;
  const upstreams = await em
    .getRepository(DefinitionEntity)
    .find({ select: { id: true, name: true }, where: { name: In(names) } });
  if (!upstreams.length) return found;
  const runs = await em.getRepository(GroupRunEntity).find({
    select: { id: true, definitionId: true, finishedAt: true, triggerId: true },
    where: { definitionId: In(upstreams.map((u) => u.id)), businessDate, status: 'SUCCEEDED' },
  });
  const nameOf = new Map(upstreams.map((u) => [u.id, u.name]));
  for (const run of runs) {
    const name = nameOf.get(run.definitionId)!;
    const seen = found.get(name);
    if (!seen || (run.finishedAt ?? 0) > (seen.finishedAt ?? 0)) found.set(name, run);
  }
  return found;
}

/** The files of the upstream runs a dependant waited for: each run's task files in order, upstreams in `dependsOn` order. */
export async function upstreamFiles(
  em: EntityManager,
  definition: DefinitionEntity,
  runs: Map<string, GroupRunEntity>,
): Promise<FileRef[]> {
  const files: FileRef[] = [];
  for (const name of upstreamNames(definition)) {
    const run = runs.get(name);
    if (!run) continue;
    const tasks = await em.getRepository(TaskRunEntity).find({
      select: { file: true, seq: true },
      where: { groupRunId: run.id },
      order: { seq: 'ASC' },
    });
    files.push(...tasks.map((t) => t.file));
  }
  return files;
}

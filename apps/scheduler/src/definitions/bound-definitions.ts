import type { EntityManager } from 'typeorm';
import { BindingEntity, DefinitionEntity } from '../persistence/index.js';

/** The definitions bound to (source, event), archived ones left out, in one query: what a trigger (or its replay) starts. */
export async function boundDefinitions(em: EntityManager, source: string, event: string): Promise<DefinitionEntity[]> {
  return em
    .getRepository(DefinitionEntity)
    .createQueryBuilder('d')
    .where(
      (qb) =>
        'd.id IN ' +
        qb
          .subQuery()
          .select('b.definitionId')
          .from(BindingEntity, 'b')
          .where('b.source = :source AND b.event = :event')
          .getQuery(),
      { source, event },
    )
    .andWhere('d.archivedAt IS NULL')
    .orderBy('d.name')
    .getMany();
}

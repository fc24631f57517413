import { Inject, Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import type { DefinitionDependencies, DefinitionSpec, DependencyPolicy } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { Db } from '#ferry/persistence';
import { DefinitionEntity, DependencyEntity, GroupRunEntity } from '../persistence/index.js';
import { DEFAULT_POLICY } from './dependency-edges.js';
import { dependencyGate } from './dependency-gate.js';

const DATES_SHOWN = 7;

/** The admin view of one definition's dependencies: its edges both ways, and where it stands per date. */
@Injectable()
export class DependenciesService {
  constructor(@Inject(Db) private readonly db: Db) {}

  view(idOrName: string): Promise<DefinitionDependencies> {
    return this.db.run(async (em) => {
      const repo = em.getRepository(DefinitionEntity);
      const x = (await repo.findOneBy({ id: idOrName })) ?? (await repo.findOneBy({ name: idOrName }));
      if (!x) throw ApiError.notFound('Definition', idOrName);
      const upstream = ((x.spec as DefinitionSpec).dependsOn ?? []).map((d) => ({
        definition: d.definition,
        policy: d.policy ?? DEFAULT_POLICY,
      }));
      const edges = await em.getRepository(DependencyEntity).findBy({ upstreamName: x.name });
      const names = new Map(
        (edges.length
          ? await repo.find({ select: { id: true, name: true }, where: { id: In(edges.map((e) => e.definitionId)) } })
          : []
        ).map((d) => [d.id, d.name]),
      );
      const dependants = edges
        .filter((e) => names.has(e.definitionId))
        .map((e) => ({ definition: names.get(e.definitionId)!, policy: e.policy as DependencyPolicy }))
        .sort((a, b) => a.definition.localeCompare(b.definition));
      const dates = [];
      for (const businessDate of await this.datesSeen(
        em,
        x,
        upstream.map((u) => u.definition),
      )) {
        const gate = await dependencyGate(em, x, businessDate);
        const latest = await em.getRepository(GroupRunEntity).findOne({
          select: { id: true, triggerId: true },
          where: { definitionId: x.id, businessDate },
          order: { createdAt: 'DESC' },
        });
        dates.push({ businessDate, met: gate.met, missing: gate.missing, fired: latest?.triggerId ?? null });
      }
      return { upstream, dependants, dates };
    });
  }

  /** The newest business dates of its own and its upstreams' group runs (ix_group_definition_date). */
  private async datesSeen(em: EntityManager, x: DefinitionEntity, upstreamNames: string[]): Promise<string[]> {
    const ids = [x.id];
    if (upstreamNames.length)
      ids.push(
        ...(
          await em.getRepository(DefinitionEntity).find({ select: { id: true }, where: { name: In(upstreamNames) } })
        ).map((d) => d.id),
      );
    const rows = await em
      .getRepository(GroupRunEntity)
      .createQueryBuilder('g')
      .select('g.businessDate', 'bd')
      .distinct(true)
      .where('g.definitionId IN (:...ids) AND g.businessDate IS NOT NULL', { ids })
      .orderBy('bd', 'DESC')
      .limit(DATES_SHOWN)
      .getRawMany<Record<string, string>>();
    // Oracle answers aliases in upper case.
    return rows.map((r) => r.bd ?? r.BD);
  }
}

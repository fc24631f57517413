import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { COLUMN_OPTIONS } from './described-entity.js';

// Dependency triggers' tables (migration 1770100000000-dependencies.ts).
const ms = COLUMN_OPTIONS.ms;

/**
 * One edge of the dependency graph: a definition's `dependsOn` entry, replaced on each save like its bindings.
 * By the upstream's name, as the spec says it; the index answers "who depends on U" when U's run succeeds.
 */
@Entity('definition_dependency')
export class DependencyEntity {
  @PrimaryColumn({ name: 'definition_id', type: 'varchar', length: 36 }) definitionId: string;
  @Index('ix_dependency_upstream')
  @PrimaryColumn({ name: 'upstream_name', type: 'varchar', length: 100 })
  upstreamName: string;
  @Column({ type: 'varchar', length: 24 }) policy: string;
}

/**
 * A trigger held for one definition until its upstreams succeed for the business date (a bound message, or a
 * schedule's fire). Whoever deletes the row starts the run: two instances never start it twice.
 */
@Entity('dependency_wait')
@Index('ix_wait_definition_date', ['definitionId', 'businessDate'])
export class DependencyWaitEntity {
  @PrimaryColumn({ name: 'trigger_id', type: 'varchar', length: 36 }) triggerId: string;
  @PrimaryColumn({ name: 'definition_id', type: 'varchar', length: 36 }) definitionId: string;
  @Column({ name: 'business_date', type: 'varchar', length: 10 }) businessDate: string;
  @Column({ name: 'created_at', ...ms }) createdAt: number;
}

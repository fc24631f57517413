import { Inject, Injectable } from '@nestjs/common';
import { Db } from '#ferry/persistence';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import { type DefinitionEntity, DependencyEntity } from '../persistence/index.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { boundDefinitions } from './bound-definitions.js';

interface Kept<T> {
  at: number;
  value: Promise<T>;
}

/**
 * What the hot paths read of the definitions, trusted for a while (like a paused flag, GroupSpecs): the definitions
 * bound to a (source, event), read by the intake once per `bindingsTrustMs` rather than per message, and the names
 * of the definitions that have dependants, read once per `upstreamsTrustMs` rather than per succeeded run. A save
 * on this instance forgets both at once; one on another instance is seen within that time (a dependant missed
 * meanwhile is the dependency sweep's). An operator's replay reads the bindings afresh (`boundDefinitions`).
 */
@Injectable()
export class DefinitionReads {
  private readonly bindings = new Map<string, Kept<DefinitionEntity[]>>();
  private upstreams?: Kept<Set<string>>;
  private readonly tuning: SchedulerConfig['tuning'];

  constructor(
    @Inject(Db) private readonly db: Pick<Db, 'run'>,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'tuning'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {
    this.tuning = config.tuning;
  }

  boundTo(source: string, event: string): Promise<DefinitionEntity[]> {
    const key = `${source}\u0000${event}`;
    const now = this.clock();
    const hit = this.bindings.get(key);
    if (hit && now - hit.at < this.tuning.bindingsTrustMs) return hit.value;
    const kept = this.read(() => this.db.run((em) => boundDefinitions(em, source, event)));
    // Newest last: the first key is the one read longest ago, dropped first past the bound.
    this.bindings.delete(key);
    this.bindings.set(key, kept);
    while (this.bindings.size > this.tuning.bindingsKept) this.bindings.delete(this.bindings.keys().next().value!);
    kept.value.catch(() => {
      if (this.bindings.get(key) === kept) this.bindings.delete(key);
    });
    return kept.value;
  }

  /** The names of the definitions some definition depends on. */
  upstreamNames(): Promise<Set<string>> {
    if (this.upstreams && this.clock() - this.upstreams.at < this.tuning.upstreamsTrustMs) return this.upstreams.value;
    const kept = this.read(() =>
      this.db.run(async (em) => {
        const rows = await em
          .getRepository(DependencyEntity)
          .createQueryBuilder('e')
          .select('DISTINCT e.upstreamName', 'name')
          .getRawMany<{ name: string }>();
        return new Set(rows.map((r) => r.name));
      }),
    );
    this.upstreams = kept;
    kept.value.catch(() => {
      if (this.upstreams === kept) this.upstreams = undefined;
    });
    return kept.value;
  }

  /** A definition was saved here: everything is read again. */
  forget(): void {
    this.bindings.clear();
    this.upstreams = undefined;
  }

  /** A read kept from now on (a failed one is dropped by the caller: the next use reads again). */
  private read<T>(fn: () => Promise<T>): Kept<T> {
    return { at: this.clock(), value: fn() };
  }
}

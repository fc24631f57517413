import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  type AuthProfileSpec,
  type Definition,
  type DefinitionSpec,
  definitionSpecSchema,
  type Page,
} from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { compileSchema } from '#ferry/http';
import { Db, isUniqueViolation } from '#ferry/persistence';
import type { Actor } from '../audit/actor.js';
import { AuditLog } from '../audit/audit-log.js';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import { iso, keysetPage } from '../admin/paging.js';
import { callbackCallers } from '../callbacks/callback-binding.js';
import { dependencyProblems, replaceDependencies } from '../dependencies/dependency-edges.js';
import { profileAllows, profileRefusal } from '../dispatch/profile-origins.js';
import { withDefaults } from '../groups/group-run.factory.js';
import { AuthProfileEntity, BindingEntity, DefinitionEntity, DefinitionVersionEntity } from '../persistence/index.js';
import { DefinitionReads } from './definition-reads.js';
import { lockedCalendar } from '../schedules/calendars.service.js';
import { scheduleProblems } from '../schedules/schedule-math.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { syncScheduleClock } from '../schedules/schedule-clock.js';
import { isReservedSource, RESERVED_SOURCE_PREFIX } from '../triggers/system-triggers.js';
import { isTimeZone } from '../core/zones.js';

type SpecWithVersion = DefinitionSpec & { version?: number };
const validate = compileSchema<SpecWithVersion>(definitionSpecSchema);

/** Trigger definitions: stored in the database, edited through the admin API with optimistic versions. */
@Injectable()
export class DefinitionsService {
  /** Clients that can call back at all: a target's `callbackClients` must be among them. */
  private readonly callers: Set<string>;
  /** Development mode: a profile without `origins` may go anywhere. */
  private readonly development: boolean;

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'auth' | 'development'>,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(DefinitionReads) private readonly reads: Pick<DefinitionReads, 'forget'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {
    this.callers = callbackCallers(config.auth.clients);
    this.development = config.development;
  }

  async create(body: unknown, actor: Actor): Promise<Definition> {
    const { version: _ignored, ...spec } = validate(body);
    const now = this.clock();
    const row = Object.assign(new DefinitionEntity(), {
      id: randomUUID(),
      name: spec.name,
      enabled: spec.enabled === false ? 0 : 1,
      version: 1,
      spec: withDefaults(spec),
      createdAt: now,
      updatedAt: now,
      archivedAt: null,
    });
    await this.write(async (em) => {
      await this.checkRefs(em, spec);
      await em.insert(DefinitionEntity, row as object);
      await this.replaceBindings(em, row.id, spec);
      await replaceDependencies(em, row.id, spec);
      await keepVersion(em, row);
      await syncScheduleClock(em, row, now);
      await this.audit.record(em, { actor, action: 'definition.create', ...about(row), after: toView(row) });
    });
    return toView(row);
  }

  async update(id: string, body: unknown, actor: Actor): Promise<Definition> {
    const { version, ...spec } = validate(body);
    if (version === undefined)
      throw ApiError.validation([{ path: 'version', problem: 'is required to update a definition' }]);
    return this.write(async (em) => {
      const row = await this.find(em, id);
      if (row.version !== version)
        throw ApiError.conflict(`Definition ${id} is at version ${row.version}, not ${version}`);
      await this.checkRefs(em, spec, row);
      const changes = {
        name: spec.name,
        enabled: spec.enabled === false ? 0 : 1,
        spec: withDefaults(spec),
        version: version + 1,
        updatedAt: this.clock(),
      };
      const res = await em
        .createQueryBuilder()
        .update(DefinitionEntity)
        .set(changes as object)
        .where({ id: row.id, version })
        .execute();
      if (!res.affected) throw ApiError.conflict(`Definition ${id} changed meanwhile; read it again`);
      await this.replaceBindings(em, row.id, spec);
      await replaceDependencies(em, row.id, spec);
      await keepVersion(em, { ...row, ...changes });
      await syncScheduleClock(em, { ...row, ...changes }, changes.updatedAt);
      const after = toView({ ...row, ...changes });
      await this.audit.record(em, { actor, action: 'definition.update', ...about(row), before: toView(row), after });
      return after;
    });
  }

  async setEnabled(id: string, enabled: boolean, actor: Actor): Promise<Definition> {
    return this.write(async (em) => {
      const row = await this.find(em, id);
      const spec = { ...(row.spec as DefinitionSpec), enabled };
      const changes = { enabled: enabled ? 1 : 0, spec, version: row.version + 1, updatedAt: this.clock() };
      await em.update(DefinitionEntity, { id: row.id }, changes as object);
      await keepVersion(em, { ...row, ...changes });
      const after = toView({ ...row, ...changes });
      const action = enabled ? 'definition.resume' : 'definition.pause';
      await this.audit.record(em, { actor, action, ...about(row), before: toView(row), after });
      return after;
    });
  }

  /**
   * Archives (or unarchives) a definition: archived, it matches no trigger and leaves the default list.
   * Its spec and version stay as they are; archiving twice changes nothing more.
   */
  async setArchived(id: string, archived: boolean, actor: Actor): Promise<Definition> {
    return this.write(async (em) => {
      const row = await this.find(em, id);
      if (archived === (row.archivedAt !== null)) return toView(row);
      const changes = { archivedAt: archived ? this.clock() : null, updatedAt: this.clock() };
      await em.update(DefinitionEntity, { id: row.id }, changes);
      await syncScheduleClock(em, { ...row, ...changes }, changes.updatedAt);
      const after = toView({ ...row, ...changes });
      const action = archived ? 'definition.archive' : 'definition.unarchive';
      await this.audit.record(em, { actor, action, ...about(row), before: toView(row), after });
      return after;
    });
  }

  get(id: string): Promise<Definition> {
    return this.db.run(async (em) => toView(await this.find(em, id)));
  }

  /** By id or by name (the contract's `definition=` takes either). */
  async find(em: EntityManager, idOrName: string): Promise<DefinitionEntity> {
    const repo = em.getRepository(DefinitionEntity);
    const row = (await repo.findOneBy({ id: idOrName })) ?? (await repo.findOneBy({ name: idOrName }));
    if (!row) throw ApiError.notFound('Definition', idOrName);
    return row;
  }

  /** Newest first; archived definitions only with `archived=true` (and then only they). */
  async list(q: { archived?: string; cursor?: string; limit?: string }): Promise<Page<Definition>> {
    if (q.archived !== undefined && q.archived !== 'true' && q.archived !== 'false')
      throw ApiError.validation([{ path: 'archived', problem: 'must be true or false' }]);
    return this.db.run((em) => {
      const qb = em.getRepository(DefinitionEntity).createQueryBuilder('d');
      qb.where(q.archived === 'true' ? 'd.archivedAt IS NOT NULL' : 'd.archivedAt IS NULL');
      return keysetPage(qb, 'createdAt', q, toView);
    });
  }

  private async write<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.db.tx(fn);
    } catch (err) {
      if (isUniqueViolation(err)) throw ApiError.conflict('A definition with this name already exists');
      throw err;
    } finally {
      // Committed or not, the intake reads the bindings again (a save changes them, or a definition's state).
      this.reads.forget();
    }
  }

  private async checkRefs(em: EntityManager, spec: DefinitionSpec, saved?: DefinitionEntity): Promise<void> {
    const problems = await dependencyProblems(em, spec, saved);
    if (!spec.bindings.length && !spec.schedule && !spec.dependsOn)
      problems.push({
        path: 'bindings',
        problem: 'must not be empty unless the definition has a schedule or dependsOn',
      });
    // No message can come under Ferry's own sources (refused at intake): a binding to one would never match.
    for (const [i, b] of spec.bindings.entries())
      if (isReservedSource(b.source))
        problems.push({
          path: `bindings[${i}].source`,
          problem: `must not start with ${RESERVED_SOURCE_PREFIX}: Ferry writes those sources itself`,
        });
    if (spec.deadline && 'timeZone' in spec.deadline && !isTimeZone(spec.deadline.timeZone))
      problems.push({ path: 'deadline.timeZone', problem: 'is not a known IANA time zone' });
    if (spec.schedule) problems.push(...scheduleProblems(spec.schedule));
    const calendar = spec.schedule?.calendar;
    if (calendar && !(await lockedCalendar(this.db, em, calendar)))
      problems.push({ path: 'schedule.calendar', problem: 'names no stored calendar' });
    const name = spec.target.authProfile;
    const profile = name ? await em.getRepository(AuthProfileEntity).findOneBy({ name }) : undefined;
    if (name && !profile) problems.push({ path: 'target.authProfile', problem: `names no stored auth profile` });
    // The profile's token goes with every request to the targets: only to the origins the profile names.
    const origins = (profile?.spec as AuthProfileSpec | undefined)?.origins;
    for (const [i, url] of name && profile ? spec.target.urls.entries() : []) {
      if (!profileAllows(origins, url, this.development))
        problems.push({ path: `target.urls[${i}]`, problem: profileRefusal(name!, origins, url) });
    }
    for (const [i, id] of (spec.target.callbackClients ?? []).entries())
      if (!this.callers.has(id))
        problems.push({
          path: `target.callbackClients[${i}]`,
          problem: 'names no client configured with callbacks:write',
        });
    if (problems.length) throw ApiError.validation(problems);
  }

  private async replaceBindings(em: EntityManager, definitionId: string, spec: DefinitionSpec): Promise<void> {
    await em.delete(BindingEntity, { definitionId });
    const unique = [...new Map(spec.bindings.map((b) => [`${b.source}\u0000${b.event}`, b])).values()];
    await em.insert(
      BindingEntity,
      unique.map((b) => ({ id: randomUUID(), definitionId, source: b.source, event: b.event })),
    );
  }
}

export function toView(row: DefinitionEntity): Definition {
  return {
    ...(row.spec as DefinitionSpec),
    enabled: row.enabled === 1,
    id: row.id,
    version: row.version,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
    archivedAt: iso(row.archivedAt ?? null),
  };
}

/** Keeps the spec a definition's version stores, in the transaction that stores it. */
async function keepVersion(em: EntityManager, row: DefinitionEntity): Promise<void> {
  await em.insert(DefinitionVersionEntity, {
    definitionId: row.id,
    version: row.version,
    spec: row.spec as object,
    createdAt: row.updatedAt,
  });
}

const about = (row: DefinitionEntity) => ({ objectType: 'definition', objectId: row.id });

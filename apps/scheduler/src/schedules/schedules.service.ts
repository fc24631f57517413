import { Inject, Injectable } from '@nestjs/common';
import { Between } from 'typeorm';
import type { DefinitionSpec } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { Db } from '#ferry/persistence';
import { iso } from '../admin/paging.js';
import { triggerView } from '../admin/views.js';
import type { Actor } from '../audit/actor.js';
import { AuditLog } from '../audit/audit-log.js';
import { CLOCK, type Clock } from '../core/tokens.js';
import { DefinitionsService } from '../definitions/definitions.service.js';
import { ScheduleEntity, TriggerEntity } from '../persistence/index.js';
import { SCHEDULE_SOURCE } from '../triggers/system-triggers.js';
import { ScheduleFirer } from './schedule-firer.js';

/** A schedule's clock and fires for operators; pause and resume (fires missed meanwhile are misfires). */
@Injectable()
export class SchedulesService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(DefinitionsService) private readonly defs: Pick<DefinitionsService, 'find'>,
    @Inject(AuditLog) private readonly audit: Pick<AuditLog, 'record'>,
    @Inject(ScheduleFirer) private readonly firer: Pick<ScheduleFirer, 'wake'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {}

  view(idOrName: string, limit = 20) {
    return this.db.run(async (em) => {
      const def = await this.defs.find(em, idOrName);
      const schedule = (def.spec as DefinitionSpec).schedule;
      const row = await em.getRepository(ScheduleEntity).findOneBy({ definitionId: def.id });
      if (!schedule || !row) throw ApiError.notFound('Schedule of definition', idOrName);
      // A fire's messageId is `<definition id>@<fire time>`: a range of the (source, messageId) key, newest first.
      const fires = await em.getRepository(TriggerEntity).find({
        where: { source: SCHEDULE_SOURCE, messageId: Between(`${def.id}@`, `${def.id}@\uffff`) },
        order: { messageId: 'DESC' },
        take: limit,
      });
      return {
        definition: def.name,
        schedule,
        nextFireAt: iso(row.nextFireAt),
        pausedAt: iso(row.pausedAt),
        lastFireAt: iso(row.lastFireAt),
        queued: row.queued?.length ?? 0,
        fires: fires.map((t) => triggerView(t)),
      };
    });
  }

  async setPaused(idOrName: string, paused: boolean, actor: Actor) {
    const name = await this.db.tx(async (em) => {
      const def = await this.defs.find(em, idOrName);
      const row = await em.getRepository(ScheduleEntity).findOneBy({ definitionId: def.id });
      if (!row) throw ApiError.notFound('Schedule of definition', idOrName);
      if (paused === (row.pausedAt !== null)) return def.name;
      const pausedAt = paused ? this.clock() : null;
      await em.update(
        ScheduleEntity,
        { definitionId: def.id },
        { pausedAt, version: row.version + 1, updatedAt: this.clock() },
      );
      await this.audit.record(em, {
        actor,
        action: paused ? 'schedule.pause' : 'schedule.resume',
        objectType: 'definition',
        objectId: def.id,
        before: { pausedAt: iso(row.pausedAt) },
        after: { pausedAt: iso(pausedAt) },
      });
      return def.name;
    });
    if (!paused) this.firer.wake();
    return this.view(name);
  }
}

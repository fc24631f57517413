import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuditEventView, Page } from '#ferry/contracts';
import { Db } from '#ferry/persistence';
import { iso, keysetPage, parseInstant } from '../admin/paging.js';
import { CLOCK, type Clock } from '../core/tokens.js';
import { AuditEventEntity } from '../persistence/index.js';
import type { Actor } from './actor.js';
import { redacted } from './redact.js';

/** One audit event: who (`actor`) did what (`action`, e.g. `definition.update`) to which object, before and after. */
export interface AuditEntry {
  actor: Actor;
  action: string;
  objectType: string;
  objectId?: string | null;
  /** The object before the change; omitted or null when it was created. Secrets are removed (redact.ts). */
  before?: unknown;
  /** The object after the change; omitted or null when it was removed. */
  after?: unknown;
  detail?: Record<string, unknown>;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  objectType?: string;
  objectId?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: string;
}

/**
 * The audit log: every admin change writes one event with `record(em, entry)` inside the change's own
 * transaction (`em`), so a change without its event, or an event without its change, cannot exist.
 */
@Injectable()
export class AuditLog {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {}

  async record(em: EntityManager, entry: AuditEntry): Promise<void> {
    const { actor } = entry;
    const detail = { ...(actor.ip ? { ip: actor.ip } : {}), ...(entry.detail ?? {}) };
    const row: AuditEventEntity = {
      id: randomUUID(),
      at: this.clock(),
      actor: actor.subject.slice(0, 200),
      clientId: actor.clientId.slice(0, 100),
      action: entry.action,
      objectType: entry.objectType,
      objectId: entry.objectId ?? null,
      before: redacted(entry.before ?? null),
      after: redacted(entry.after ?? null),
      detail: Object.keys(detail).length ? redacted(detail) : null,
    };
    await em.insert(AuditEventEntity, row as object);
  }

  /** A change of its own (a login, say): the event in a transaction of its own. */
  recordNow(entry: AuditEntry): Promise<void> {
    return this.db.tx((em) => this.record(em, entry));
  }

  list(q: AuditQuery): Promise<Page<AuditEventView>> {
    const from = parseInstant(q.from, 'from');
    const to = parseInstant(q.to, 'to');
    return this.db.run((em) => {
      const qb = em.getRepository(AuditEventEntity).createQueryBuilder('e');
      if (q.actor !== undefined) qb.andWhere('e.actor = :actor', { actor: q.actor });
      if (q.action !== undefined) qb.andWhere('e.action = :action', { action: q.action });
      if (q.objectType !== undefined) qb.andWhere('e.objectType = :objectType', { objectType: q.objectType });
      if (q.objectId !== undefined) qb.andWhere('e.objectId = :objectId', { objectId: q.objectId });
      if (from !== undefined) qb.andWhere('e.at >= :from', { from });
      if (to !== undefined) qb.andWhere('e.at < :to', { to });
      return keysetPage(qb, 'at', q, view);
    });
  }
}

function view(e: AuditEventEntity): AuditEventView {
  return {
    id: e.id,
    at: iso(e.at)!,
    actor: e.actor,
    clientId: e.clientId,
    action: e.action,
    objectType: e.objectType,
    objectId: e.objectId,
    before: e.before ?? null,
    after: e.after ?? null,
    detail: e.detail ?? null,
  };
}

import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  type AlertView,
  type SilenceAlert,
  silenceAlertSchema,
  type UnackAlert,
  unackAlertSchema,
} from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { compileSchema } from '#ferry/http';
import { Db } from '#ferry/persistence';
import type { Actor } from '../audit/actor.js';
import { AuditLog } from '../audit/audit-log.js';
import { CLOCK, type Clock } from '../core/tokens.js';
import { AlertEntity, type StoredAlertComment } from '../persistence/index.js';
import { alertView } from './alert-view.js';

type Changed = 'status' | 'ackedAt' | 'ackedBy' | 'silencedUntil' | 'comments';

const validateSilence = compileSchema<SilenceAlert>(silenceAlertSchema);
const validateUnack = compileSchema<UnackAlert>(unackAlertSchema);

/** Operators' moves on an alert beyond acknowledging it: silence it for a while, un-acknowledge it. */
@Injectable()
export class AlertMoves {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(AuditLog) private readonly audit: Pick<AuditLog, 'record'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {}

  /** OPEN or ACKNOWLEDGED: raising it again notifies no one until then (a later silence replaces it). */
  async silence(id: string, body: unknown, actor: Actor): Promise<AlertView> {
    const { minutes, comment } = validateSilence(body ?? {});
    const move = { action: 'alert.silence', detail: { minutes, comment } };
    return this.change(id, ['OPEN', 'ACKNOWLEDGED'], 'silenced', actor, move, (row, now) => ({
      silencedUntil: now + minutes * 60_000,
      comments: withComment(row, { action: 'SILENCE', text: comment, by: commentAuthor(actor), at: now }),
    }));
  }

  /** ACKNOWLEDGED → OPEN: the alert notifies again when raised (outside any silence). */
  async unacknowledge(id: string, body: unknown, actor: Actor): Promise<AlertView> {
    const { comment } = validateUnack(body ?? {});
    const move = { action: 'alert.unack', detail: { comment } };
    return this.change(id, ['ACKNOWLEDGED'], 'un-acknowledged', actor, move, (row, now) => ({
      status: 'OPEN',
      ackedAt: null,
      ackedBy: null,
      comments: withComment(row, { action: 'UNACK', text: comment, by: commentAuthor(actor), at: now }),
    }));
  }

  /** One version-checked update and its audit event in one transaction. */
  private change(
    id: string,
    from: string[],
    what: string,
    actor: Actor,
    move: { action: string; detail: Record<string, unknown> },
    changes: (row: AlertEntity, now: number) => Partial<Pick<AlertEntity, Changed>>,
  ): Promise<AlertView> {
    return this.db.tx(async (em: EntityManager) => {
      const row = id.length <= 36 ? await em.getRepository(AlertEntity).findOneBy({ id }) : null;
      if (!row) throw ApiError.notFound('Alert', id);
      if (!from.includes(row.status))
        throw ApiError.conflict(`Alert ${id} is ${row.status}; only ${from.join(' or ')} alerts can be ${what}`);
      const res = await em
        .createQueryBuilder()
        .update(AlertEntity)
        .set({ ...changes(row, this.clock()), version: row.version + 1 })
        .where({ id: row.id, version: row.version })
        .execute();
      if (!res.affected) throw ApiError.conflict(`Alert ${id} changed meanwhile; read it again`);
      const now = alertView((await em.getRepository(AlertEntity).findOneBy({ id: row.id }))!);
      await this.audit.record(em, {
        actor,
        action: move.action,
        objectType: 'alert',
        objectId: row.id,
        before: audited(alertView(row)),
        after: audited(now),
        detail: move.detail,
      });
      return now;
    });
  }
}

/** What the audit log keeps of an alert before and after an operator's move. */
export const audited = ({ status, acknowledgedAt, acknowledgedBy, silencedUntil }: AlertView) => ({
  status,
  acknowledgedAt,
  acknowledgedBy,
  silencedUntil,
});

/** Who left a comment: the actor's subject (a portal session's is `user:<name>`), as before the audit log. */
export const commentAuthor = (actor: Actor): string => actor.subject || actor.clientId;

/** The alert's comments with one more; the oldest go past 50, so a row stays bounded. */
export function withComment(row: AlertEntity, comment: StoredAlertComment): StoredAlertComment[] {
  return [...(row.comments ?? []), { ...comment, by: comment.by.slice(0, 200) }].slice(-50);
}

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
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {}

  /** OPEN or ACKNOWLEDGED: raising it again notifies no one until then (a later silence replaces it). */
  async silence(id: string, body: unknown, by: string): Promise<AlertView> {
    const { minutes, comment } = validateSilence(body ?? {});
    return this.change(id, ['OPEN', 'ACKNOWLEDGED'], 'silenced', (row, now) => ({
      silencedUntil: now + minutes * 60_000,
      comments: withComment(row, { action: 'SILENCE', text: comment, by, at: now }),
    }));
  }

  /** ACKNOWLEDGED → OPEN: the alert notifies again when raised (outside any silence). */
  async unacknowledge(id: string, body: unknown, by: string): Promise<AlertView> {
    const { comment } = validateUnack(body ?? {});
    return this.change(id, ['ACKNOWLEDGED'], 'un-acknowledged', (row, now) => ({
      status: 'OPEN',
      ackedAt: null,
      ackedBy: null,
      comments: withComment(row, { action: 'UNACK', text: comment, by, at: now }),
    }));
  }

  /** One version-checked update in one transaction (an audit entry joins it there). */
  private change(
    id: string,
    from: string[],
    what: string,
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
      return alertView((await em.getRepository(AlertEntity).findOneBy({ id: row.id }))!);
    });
  }
}

/** The alert's comments with one more; the oldest go past 50, so a row stays bounded. */
function withComment(row: AlertEntity, comment: StoredAlertComment): StoredAlertComment[] {
  return [...(row.comments ?? []), { ...comment, by: comment.by.slice(0, 200) }].slice(-50);
}

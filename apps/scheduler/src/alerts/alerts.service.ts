import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { type EntityManager, In, Not } from 'typeorm';
import {
  type AckAlert,
  ackAlertSchema,
  type AlertChannel,
  type AlertKind,
  type AlertSettings,
  type AlertView,
  type Page,
} from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { compileSchema } from '#ferry/http';
import { OutboxStore } from '#ferry/outbox';
import { Db, isUniqueViolation } from '#ferry/persistence';
import type { Actor } from '../audit/actor.js';
import { AuditLog } from '../audit/audit-log.js';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import { keysetPage } from '../admin/paging.js';
import { AlertEntity } from '../persistence/index.js';
import type { AlertsConfig, SchedulerConfig } from '../scheduler.config.js';
import { AlertDelivery } from './alert-delivery.js';
import { commentAuthor, withComment } from './alert-moves.js';
import { alertView, channelKind, channelUrl } from './alert-view.js';

/** What raises an alert: its kind, the run it is about (a group run, or a trigger), and where it goes. */
export interface AlertDraft {
  kind: AlertKind;
  groupRunId?: string;
  triggerId?: string;
  taskRunId?: string;
  definitionId?: string;
  definitionName?: string;
  message: string;
  detail?: unknown;
  settings?: AlertSettings;
  /** A recovery path (e.g. a group found FAILED after a crash) only fills a gap; it does not count again. */
  onlyIfAbsent?: boolean;
  /** What makes two raises one alert, if not (kind, run): e.g. (kind, source, event). At most 80 characters. */
  dedupKey?: string;
  /**
   * An alert no longer OPEN (acknowledged, resolved) is set aside and a new one raised, instead of
   * counting quietly: for keys that live forever, such as a (source, event) no definition is bound to.
   */
  renewWhenClosed?: boolean;
}

const STATUSES = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'];

/** What the outbox keys of an alert's notifications start with: retention deletes the delivered ones with the alert. */
export const notificationKeyPrefix = (alertId: string) => `${alertId}:`;
const validateAck = compileSchema<AckAlert>(ackAlertSchema);

/**
 * Alerts, one row per (run, kind). Raising one again counts an occurrence; it notifies the channels
 * (through the outbox, in the same transaction) only when new, or reopened after the silence window.
 */
@Injectable()
export class AlertsService {
  private readonly config: AlertsConfig;

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(OutboxStore) private readonly outbox: OutboxStore,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'alerts'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
    /** Woken after a commit that queued notifications (absent: they wait for its next poll). */
    @Optional() @Inject(AlertDelivery) private readonly delivery?: Pick<AlertDelivery, 'kick'>,
    /** Where acknowledgements are recorded (always there in the app; tests of raising alerts go without). */
    @Optional() @Inject(AuditLog) private readonly audit?: AuditLog,
  ) {
    this.config = config.alerts;
  }

  /** Starts delivering what was just queued. */
  kick(): void {
    this.delivery?.kick();
  }

  async raise(draft: AlertDraft): Promise<void> {
    for (let round = 1; ; round++) {
      try {
        if (await this.db.tx((em) => this.raiseIn(em, draft))) this.kick();
        return;
      } catch (err) {
        // Two instances inserted the same (run, kind) at once: the loser counts an occurrence instead.
        if (!isUniqueViolation(err) || round >= 3) throw err;
      }
    }
  }

  /** Inside the caller's transaction (e.g. with the flag that made the run overdue); answers whether it notified. */
  async raiseIn(em: EntityManager, draft: AlertDraft): Promise<boolean> {
    const now = this.clock();
    const dedupKey = draft.dedupKey ?? `${draft.kind}:${draft.groupRunId ?? draft.triggerId}`;
    let existing = await this.db
      .lockForWrite(em.getRepository(AlertEntity).createQueryBuilder('a').where('a.dedupKey = :dedupKey', { dedupKey }))
      .getOne();
    if (existing && draft.onlyIfAbsent) return false;
    if (existing && draft.renewWhenClosed && existing.status !== 'OPEN') {
      // Its key is freed (suffixed with its own id, which stays unique) for the new alert below.
      const setAside = { dedupKey: `${dedupKey}:${existing.id}`, version: existing.version + 1 };
      await em.update(AlertEntity, { id: existing.id }, setAside);
      existing = null;
    }
    const silenceMs =
      draft.settings?.silenceMinutes !== undefined ? draft.settings.silenceMinutes * 60_000 : this.config.silenceMs;
    let row: AlertEntity;
    let notify: boolean;
    if (!existing) {
      notify = true;
      row = Object.assign(new AlertEntity(), {
        id: randomUUID(),
        dedupKey,
        kind: draft.kind,
        status: 'OPEN',
        groupRunId: draft.groupRunId ?? null,
        triggerId: draft.triggerId ?? null,
        taskRunId: draft.taskRunId ?? null,
        definitionId: draft.definitionId ?? null,
        definitionName: draft.definitionName ?? null,
        message: draft.message.slice(0, 2000),
        detail: draft.detail ?? null,
        occurrences: 1,
        firstAt: now,
        lastAt: now,
        notifiedAt: now,
        ackedAt: null,
        ackedBy: null,
        resolvedAt: null,
        version: 1,
        silencedUntil: null,
        comments: null,
      });
      await em.insert(AlertEntity, row as object);
    } else {
      // An acknowledged alert stays quiet: the operator already knows. A resolved one that comes back is news.
      const status = existing.status === 'ACKNOWLEDGED' ? 'ACKNOWLEDGED' : 'OPEN';
      notify =
        status === 'OPEN' &&
        (existing.notifiedAt === null || now - existing.notifiedAt >= silenceMs) &&
        (existing.silencedUntil === null || now >= existing.silencedUntil);
      const changes = {
        status,
        occurrences: existing.occurrences + 1,
        lastAt: now,
        resolvedAt: status === 'OPEN' ? null : existing.resolvedAt,
        notifiedAt: notify ? now : existing.notifiedAt,
        version: existing.version + 1,
      };
      await em.update(AlertEntity, { id: existing.id }, changes);
      row = Object.assign(existing, changes);
    }
    if (notify) await this.enqueue(em, row, draft.settings?.channels ?? this.config.defaultChannels);
    return notify;
  }

  /**
   * Resolves the OPEN or ACKNOWLEDGED alert under `dedupKey` in the caller's transaction, if `isOver` says
   * nothing keeps it open any more. `isOver` is asked with the alert locked: two callers deciding at once
   * take turns, and the second sees what the first committed. Answers the alert before and after, or null.
   */
  async resolveIn(
    em: EntityManager,
    dedupKey: string,
    isOver: () => Promise<boolean>,
  ): Promise<{ before: AlertView; after: AlertView } | null> {
    const row = await this.db
      .lockForWrite(em.getRepository(AlertEntity).createQueryBuilder('a').where('a.dedupKey = :dedupKey', { dedupKey }))
      .getOne();
    if (!row || row.status === 'RESOLVED' || !(await isOver())) return null;
    const changes = { status: 'RESOLVED', resolvedAt: this.clock(), version: row.version + 1 };
    await em.update(AlertEntity, { id: row.id, version: row.version }, changes);
    return { before: alertView(row), after: alertView({ ...row, ...changes }) };
  }

  /** The runs succeeded after all: their failure and overdue alerts are over (one statement for many runs). */
  async resolveRuns(groupRunIds: string[], kinds: AlertKind[] = ['FAILED', 'OVERDUE']): Promise<number> {
    if (!groupRunIds.length) return 0;
    const res = await this.db.run((em) =>
      em
        .createQueryBuilder()
        .update(AlertEntity)
        .set({ status: 'RESOLVED', resolvedAt: this.clock() })
        .where({ groupRunId: In(groupRunIds), kind: In(kinds), status: Not('RESOLVED') })
        .execute(),
    );
    return res.affected ?? 0;
  }

  async list(q: { status?: string; cursor?: string; limit?: string }): Promise<Page<AlertView>> {
    if (q.status !== undefined && !STATUSES.includes(q.status))
      throw ApiError.validation([{ path: 'status', problem: `must be one of ${STATUSES.join(', ')}` }]);
    return this.db.run((em) => {
      const qb = em.getRepository(AlertEntity).createQueryBuilder('a');
      if (q.status) qb.andWhere('a.status = :status', { status: q.status });
      return keysetPage(qb, 'firstAt', q, alertView);
    });
  }

  /**
   * OPEN → ACKNOWLEDGED, with the operator's comment if there is one (kept in `comments`); acknowledging twice
   * is harmless and changes nothing (a comment with it is not kept); a resolved alert needs no acknowledgement (409).
   */
  async acknowledge(id: string, actor: Actor, body?: unknown): Promise<AlertView> {
    const comment = validateAck(body ?? {}).comment || undefined;
    const by = actor.user ? actor.subject : actor.clientId;
    return this.db.tx(async (em) => {
      const row = id.length <= 36 ? await em.getRepository(AlertEntity).findOneBy({ id }) : null;
      if (!row) throw ApiError.notFound('Alert', id);
      if (row.status === 'RESOLVED') throw ApiError.conflict(`Alert ${id} is already RESOLVED`);
      if (row.status === 'OPEN') {
        const at = this.clock();
        const res = await em
          .createQueryBuilder()
          .update(AlertEntity)
          .set({
            status: 'ACKNOWLEDGED',
            ackedAt: at,
            ackedBy: by.slice(0, 200),
            version: row.version + 1,
            ...(comment
              ? { comments: withComment(row, { action: 'ACK', text: comment, by: commentAuthor(actor), at }) }
              : {}),
          })
          .where({ id: row.id, version: row.version })
          .execute();
        if (!res.affected) throw ApiError.conflict(`Alert ${id} changed meanwhile; read it again`);
      }
      const now = alertView((await em.getRepository(AlertEntity).findOneBy({ id: row.id }))!);
      if (row.status === 'OPEN') {
        const { status, acknowledgedAt, acknowledgedBy } = alertView(row);
        await this.audit?.record(em, {
          actor,
          action: 'alert.ack',
          objectType: 'alert',
          objectId: row.id,
          before: { status, acknowledgedAt, acknowledgedBy },
          after: { status: now.status, acknowledgedAt: now.acknowledgedAt, acknowledgedBy: now.acknowledgedBy },
          ...(comment ? { detail: { comment } } : {}),
        });
      }
      return now;
    });
  }

  private async enqueue(em: EntityManager, row: AlertEntity, channels: AlertChannel[]): Promise<void> {
    const alert = alertView(row);
    for (const [i, channel] of channels.entries()) {
      await this.outbox.add(em, {
        key: `${notificationKeyPrefix(row.id)}${row.version}:${i}`,
        kind: channelKind(channel),
        url: channelUrl(channel),
        payload: { type: 'ferry.alert', alert, channel },
      });
    }
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { AlertChannel, AlertDeliveryView, AlertNotification, Page } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { type OutboxListedRow, OutboxStore } from '#ferry/outbox';
import { CLOCK, type Clock } from '../core/tokens.js';
import { decodeCursor, encodeCursor, iso, parseLimit } from '../admin/paging.js';
import { AlertDelivery } from './alert-delivery.js';

const STATUSES = ['DEAD', 'PENDING'] as const;
type Listed = (typeof STATUSES)[number];

/**
 * Notifications not delivered, for operators: a DEAD one (refused for good, or its attempts spent)
 * is listed until an operator retries it, which gives it a fresh attempt budget.
 */
@Injectable()
export class AlertDeliveriesService {
  constructor(
    @Inject(OutboxStore) private readonly outbox: OutboxStore,
    @Inject(AlertDelivery) private readonly delivery: Pick<AlertDelivery, 'kick'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {}

  async list(q: { status?: string; cursor?: string; limit?: string }): Promise<Page<AlertDeliveryView>> {
    const status = (q.status ?? 'DEAD') as Listed;
    if (!STATUSES.includes(status))
      throw ApiError.validation([{ path: 'status', problem: `must be one of ${STATUSES.join(', ')}` }]);
    const limit = parseLimit(q.limit);
    const after = decodeCursor(q.cursor);
    const rows = await this.outbox.list(status, limit + 1, after && { seq: after.at, id: after.id });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(deliveryView),
      nextCursor: rows.length > limit ? encodeCursor({ at: last.seq, id: last.id }) : null,
    };
  }

  /** DEAD → PENDING, due now, with a fresh attempt budget; 409 for one that is not dead. */
  async retry(id: string): Promise<AlertDeliveryView> {
    const row = id.length <= 36 ? await this.outbox.get(id) : undefined;
    if (!row) throw ApiError.notFound('Alert delivery', id);
    if (row.state !== 'DEAD') throw ApiError.conflict(`Alert delivery ${id} is ${row.state}, not DEAD`);
    const now = await this.outbox.retry(id, this.clock());
    this.delivery.kick();
    return deliveryView(now ?? row);
  }
}

function deliveryView(row: OutboxListedRow): AlertDeliveryView {
  const n = row.payload as Partial<AlertNotification> & { channel?: AlertChannel };
  const channel = n.channel?.type ?? (row.kind.replace(/^alert\.|\.slack$/g, '') as AlertDeliveryView['channel']);
  return {
    id: row.id,
    alertId: n.alert?.id ?? null,
    channel,
    destination: destination(channel, row.url),
    status: row.state === 'DEAD' ? 'DEAD' : 'PENDING',
    attempts: row.attempts,
    lastError: row.lastError,
    createdAt: iso(row.createdAt)!,
    deadAt: row.state === 'DEAD' ? iso(row.nextAt) : null,
    nextAttemptAt: row.state === 'PENDING' ? iso(row.nextAt) : null,
  };
}

/** A webhook's origin only: the path of an incoming webhook (Slack's) is its secret. */
function destination(channel: string, url: string): string {
  if (channel === 'email') return url.replace(/^mailto:/, '');
  if (channel === 'webhook') {
    try {
      return new URL(url).origin;
    } catch {
      return '(invalid URL)';
    }
  }
  return 'log';
}

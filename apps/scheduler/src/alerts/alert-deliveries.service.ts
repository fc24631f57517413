import { Inject, Injectable } from '@nestjs/common';
import type { AlertChannel, AlertDeliveryView, AlertNotification, Page } from '#ferry/contracts';
import { type OutboxListedRow, OutboxListing, OutboxStore, type UndeliveredQuery } from '#ferry/outbox';
import type { Actor } from '../audit/actor.js';
import { AuditLog } from '../audit/audit-log.js';
import { CLOCK, type Clock } from '../core/tokens.js';
import { AlertDelivery } from './alert-delivery.js';

/**
 * Notifications not delivered, for operators: a DEAD one (refused for good, or its attempts spent)
 * is listed until an operator retries it, which gives it a fresh attempt budget.
 */
@Injectable()
export class AlertDeliveriesService {
  private readonly listing: OutboxListing<AlertDeliveryView>;

  constructor(
    @Inject(OutboxStore) outbox: OutboxStore,
    @Inject(AlertDelivery) delivery: Pick<AlertDelivery, 'kick'>,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(CLOCK) clock: Clock = Date.now,
  ) {
    this.listing = new OutboxListing(outbox, {
      noun: 'Alert delivery',
      view: deliveryView,
      kick: () => delivery.kick(),
      clock,
    });
  }

  list(q: UndeliveredQuery): Promise<Page<AlertDeliveryView>> {
    return this.listing.list(q);
  }

  /** DEAD → PENDING, due now, with a fresh attempt budget; 409 for one that is not dead. */
  retry(id: string, actor: Actor): Promise<AlertDeliveryView> {
    return this.listing.retry(id, (em, before) =>
      this.audit.record(em, {
        actor,
        action: 'alert-delivery.retry',
        objectType: 'alert-delivery',
        objectId: id,
        before: { status: before.status, attempts: before.attempts, alertId: before.alertId },
        after: { status: 'PENDING', attempts: 0, alertId: before.alertId },
      }),
    );
  }
}

function deliveryView(row: OutboxListedRow) {
  const n = row.payload as Partial<AlertNotification> & { channel?: AlertChannel };
  const channel = n.channel?.type ?? (row.kind.replace(/^alert\.|\.slack$/g, '') as AlertDeliveryView['channel']);
  return { alertId: n.alert?.id ?? null, channel, destination: destination(channel, row.url) };
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

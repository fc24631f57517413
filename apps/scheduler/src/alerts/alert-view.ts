import type { AlertChannel, AlertKind, AlertStatus, AlertView } from '#ferry/contracts';
import { iso } from '../admin/paging.js';
import type { AlertEntity } from '../persistence/index.js';

export function alertView(a: AlertEntity): AlertView {
  return {
    id: a.id,
    kind: a.kind as AlertKind,
    status: a.status as AlertStatus,
    groupRunId: a.groupRunId,
    triggerId: a.triggerId,
    taskRunId: a.taskRunId,
    definitionId: a.definitionId,
    definition: a.definitionName,
    message: a.message,
    detail: a.detail ?? null,
    occurrences: a.occurrences,
    firstRaisedAt: iso(a.firstAt)!,
    lastRaisedAt: iso(a.lastAt)!,
    notifiedAt: iso(a.notifiedAt),
    acknowledgedAt: iso(a.ackedAt),
    acknowledgedBy: a.ackedBy,
    resolvedAt: iso(a.resolvedAt),
  };
}

/** The outbox row's `kind` and `url` for a channel (the outbox knows nothing about alerts). */
export function channelKind(c: AlertChannel): string {
  return c.type === 'webhook' && c.format === 'slack' ? 'alert.webhook.slack' : `alert.${c.type}`;
}

export function channelUrl(c: AlertChannel): string {
  if (c.type === 'webhook') return c.url;
  if (c.type === 'email') return `mailto:${c.to.join(',')}`;
  return 'log:';
}

/** One line for humans: a log line, a mail subject, a Slack message. */
export function headline(a: AlertView): string {
  const about = a.definition ? `${a.definition} ` : '';
  const run = a.groupRunId ? `group run ${a.groupRunId}` : `trigger ${a.triggerId}`;
  return `[Ferry] ${a.kind} ${about}(${run}): ${a.message}`;
}

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
    silencedUntil: iso(a.silencedUntil),
    comments: (a.comments ?? []).map((c) => ({ ...c, at: iso(c.at)! })),
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

/**
 * One line for humans: a log line, a mail subject, a Slack message. Parts of it come from a trigger's
 * sender (source, event, messageId) or a downstream (error messages): each channel escapes it its way.
 */
export function headline(a: AlertView): string {
  const about = a.definition ? `${a.definition} ` : '';
  const run = a.groupRunId ? `group run ${a.groupRunId}` : `trigger ${a.triggerId}`;
  return `[Ferry] ${a.kind} ${about}(${run}): ${a.message}`;
}

/**
 * Text on one line: line breaks and other control characters become spaces, so that sender text can
 * neither add a header to a mail (a subject is a header) nor forge a log line.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  return text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ');
}

/**
 * Text for Slack's mrkdwn: `&`, `<` and `>` escaped as Slack asks, so that sender text cannot make a
 * link, a mention (`<!channel>`) or a user reference.
 */
export function slackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

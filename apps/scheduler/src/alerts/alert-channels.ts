import { Logger } from '@nestjs/common';
import { createTransport } from 'nodemailer';
import type { Agent } from 'undici';
import type { AlertNotification } from '#ferry/contracts';
import type { EgressGuard } from '#ferry/egress';
import { type DeliveryOutcome, type OutboxRow, postJson } from '#ferry/outbox';
import type { AlertsConfig } from '../scheduler.config.js';
import { headline, oneLine, slackText } from './alert-view.js';

/** The port for one kind of alert channel; tests may swap any of them, production wires all three. */
export interface AlertChannelPort {
  send(row: OutboxRow, notification: AlertNotification): Promise<DeliveryOutcome>;
  close?(): void;
}

export class LogChannel implements AlertChannelPort {
  private static readonly logger = new Logger('Alerts');

  constructor(private readonly write: (line: string) => void = (line) => LogChannel.logger.warn(line)) {}

  async send(_row: OutboxRow, n: AlertNotification): Promise<DeliveryOutcome> {
    this.write(`${oneLine(headline(n.alert))} [alert ${n.alert.id}, occurrence ${n.alert.occurrences}]`);
    return { ok: true };
  }
}

/**
 * JSON POST of the notification, or a Slack-compatible `{"text": …}` body for incoming webhooks (its
 * text escaped for mrkdwn), through the egress guard: a webhook on an address it refuses is never called
 * (the delivery fails with its reason). The receiver's answer is read up to `maxResponseBytes`.
 */
export class WebhookChannel implements AlertChannelPort {
  private readonly agent: Agent;

  constructor(
    private readonly timeoutMs: number,
    egress: EgressGuard,
    private readonly slack = false,
    private readonly maxResponseBytes?: number,
  ) {
    this.agent = egress.agent({ keepAliveTimeout: 30_000 });
  }

  send(row: OutboxRow, n: AlertNotification): Promise<DeliveryOutcome> {
    const body = this.slack ? { text: slackText(headline(n.alert)) } : { type: n.type, alert: n.alert };
    const { timeoutMs, maxResponseBytes, agent } = this;
    return postJson(row.url, body, { timeoutMs, maxResponseBytes, dispatcher: agent });
  }

  close(): void {
    void this.agent.close();
  }
}

/** Plain-text mail over SMTP (nodemailer, one pooled transport); its subject is one line whatever the sender wrote. */
export class EmailChannel implements AlertChannelPort {
  private readonly transport;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    timeoutMs: number,
  ) {
    this.transport = createTransport({
      url: smtpUrl,
      pool: true,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    } as never);
  }

  async send(row: OutboxRow, n: AlertNotification): Promise<DeliveryOutcome> {
    const to = row.url.replace(/^mailto:/, '').split(',');
    try {
      await this.transport.sendMail({
        from: this.from,
        to,
        subject: oneLine(headline(n.alert)),
        text: `${headline(n.alert)}\n\n${JSON.stringify(n.alert, null, 2)}\n`,
      });
      return { ok: true };
    } catch (err) {
      // SMTP 5xx is a permanent refusal (bad recipient, policy); anything else may pass later.
      const code = (err as { responseCode?: number }).responseCode ?? 0;
      return { ok: false, dead: code >= 500 && code < 600, error: (err as Error).message };
    }
  }

  close(): void {
    this.transport.close();
  }
}

/** The alert channels, by outbox kind (tests swap some through the overrides). */
export const ALERT_CHANNEL_PORTS = Symbol('ALERT_CHANNEL_PORTS');

export type AlertChannelPorts = Record<
  'alert.log' | 'alert.webhook' | 'alert.webhook.slack' | 'alert.email',
  AlertChannelPort | undefined
>;

export function defaultChannelPorts(
  config: AlertsConfig,
  egress: EgressGuard,
  overrides: Partial<AlertChannelPorts> = {},
  maxResponseBytes?: number,
): AlertChannelPorts {
  return {
    'alert.log': new LogChannel(),
    'alert.webhook': new WebhookChannel(config.deliveryTimeoutMs, egress, false, maxResponseBytes),
    'alert.webhook.slack': new WebhookChannel(config.deliveryTimeoutMs, egress, true, maxResponseBytes),
    'alert.email': config.smtpUrl
      ? new EmailChannel(config.smtpUrl, config.emailFrom, config.deliveryTimeoutMs)
      : undefined,
    ...overrides,
  };
}

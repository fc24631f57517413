import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiError } from '#ferry/errors';
import { isConnectionError } from '#ferry/persistence';
import { type BrokerVia, TriggerIntake } from '../triggers/trigger-intake.service.js';

/**
 * What a source does with a message once delivered: `ack` (its trigger is durable, a duplicate's too),
 * `dead-letter` (it can never be a trigger; it is kept as REJECTED, listed with why), or `retry` (the database
 * is away: hand it back unacknowledged, nothing is lost).
 */
export type Settlement =
  | { settle: 'ack'; triggerId: string; duplicate: boolean }
  | { settle: 'dead-letter'; rejectedId: string; reason: string }
  | { settle: 'retry'; reason: string };

/** Raw bytes kept of a message that is not JSON (the REJECTED record's payload). */
const MAX_RAW_KEPT = 64 * 1024;

/** The one way a broker's message becomes a trigger: the same intake, validation, dedup and counting as HTTP. */
@Injectable()
export class SourceDelivery {
  private readonly logger = new Logger('TriggerSources');

  constructor(@Inject(TriggerIntake) private readonly intake: Pick<TriggerIntake, 'accept' | 'reject'>) {}

  /** `raw`: the message body as the broker handed it (bytes or text); `sources`: what this source may deliver. */
  async deliver(raw: Uint8Array | string, from: { via: BrokerVia; sources: readonly string[] }): Promise<Settlement> {
    const text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      const malformed = ApiError.validation(
        [{ path: '', problem: `is not JSON: ${(err as Error).message}` }],
        'Malformed JSON',
      );
      return this.rejected({ raw: text.slice(0, MAX_RAW_KEPT) }, malformed, from.via);
    }
    try {
      const r = await this.intake.accept(body, { sources: from.sources, via: from.via });
      return { settle: 'ack', triggerId: r.answer.triggerId, duplicate: r.duplicate };
    } catch (err) {
      if (err instanceof ApiError && !isConnectionError(err)) return this.rejected(body, err, from.via);
      return { settle: 'retry', reason: (err as Error).message };
    }
  }

  private async rejected(body: unknown, err: ApiError, via: BrokerVia): Promise<Settlement> {
    try {
      const id = await this.intake.reject(body, err, via);
      this.logger.warn(`rejected a ${via} message (kept as ${id}): ${err.message}`);
      return { settle: 'dead-letter', rejectedId: id, reason: err.message };
    } catch (e) {
      // Not even the REJECTED record could be written: the message goes back, to be looked at again.
      return { settle: 'retry', reason: (e as Error).message };
    }
  }
}

import { AckPolicy, DeliverPolicy, type JetStreamManager, nanos, type NatsError } from 'nats';
import type { NatsSourceConfig } from './trigger-source.js';

/** Deliveries of a message before it goes to the dead-letter subject, unless configured. */
export const DEFAULT_MAX_DELIVER = 5;
/** How long a delivered message may stay unsettled before the broker offers it again, unless configured. */
export const DEFAULT_ACK_WAIT_SECONDS = 30;
/**
 * The stream drops a second publish with the same `Nats-Msg-Id` within this window (ten minutes rather than
 * the broker's two: an upstream retrying after a long timeout is still caught). The intake's dedup by
 * (source, messageId) holds for ever; this only spares the work.
 */
const DUPLICATE_WINDOW_MS = 10 * 60_000;

/** Where a source reads and where its dead letters go, with the defaults applied. */
export interface NatsTopology {
  stream: string;
  subject: string;
  consumer: string;
  maxDeliver: number;
  ackWaitMs: number;
  deadLetterSubject: string;
  /** The stream made for the dead letters when no stream takes their subject yet. */
  deadLetterStream: string;
}

/** The topology of one configured source; a dead-letter subject that could not work stops the start. */
export function natsTopology(c: NatsSourceConfig): NatsTopology {
  const wildcard = /(^|\.)(\*|>)(\.|$)/;
  if (!c.deadLetterSubject && wildcard.test(c.subject))
    throw new Error(`nats source ${c.stream}: subject ${c.subject} has wildcards, so deadLetterSubject must be given`);
  const deadLetterSubject = c.deadLetterSubject ?? `${c.subject}.dead`;
  if (subjectMatches(c.subject, deadLetterSubject))
    throw new Error(`nats source ${c.stream}: the dead letters (${deadLetterSubject}) would be read again`);
  return {
    stream: c.stream,
    subject: c.subject,
    consumer: c.consumer,
    maxDeliver: c.maxDeliver ?? DEFAULT_MAX_DELIVER,
    ackWaitMs: (c.ackWaitSeconds ?? DEFAULT_ACK_WAIT_SECONDS) * 1000,
    deadLetterSubject,
    deadLetterStream: `${c.stream}_DEAD`,
  };
}

/**
 * Makes sure the stream, the dead letters' stream and the durable pull consumer exist as configured. Safe to
 * run on several instances at once: adding what exists with the same settings is a no-op for the broker.
 */
export async function ensureTopology(jsm: JetStreamManager, t: NatsTopology): Promise<void> {
  await ensureStream(jsm, t.stream, t.subject);
  // Dead letters go to whichever stream already takes their subject, or to one of their own.
  const taken = await jsm.streams.find(t.deadLetterSubject).catch(() => undefined);
  if (!taken) await ensureStream(jsm, t.deadLetterStream, t.deadLetterSubject);
  // One delivery more than maxDeliver: that last one only moves the message to the dead-letter subject, so a
  // message whose every attempt ended without a settlement (the process died, the database was away) lands
  // there too rather than staying unacknowledged in the stream for ever.
  const settings = { max_deliver: t.maxDeliver + 1, ack_wait: nanos(t.ackWaitMs) };
  const existing = await jsm.consumers.info(t.stream, t.consumer).catch(orNotFound);
  if (!existing) {
    await jsm.consumers.add(t.stream, {
      durable_name: t.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: t.subject,
      ...settings,
    });
  } else if (existing.config.max_deliver !== settings.max_deliver || existing.config.ack_wait !== settings.ack_wait) {
    await jsm.consumers.update(t.stream, t.consumer, settings);
  }
}

async function ensureStream(jsm: JetStreamManager, name: string, subject: string): Promise<void> {
  const existing = await jsm.streams.info(name).catch(orNotFound);
  if (!existing) {
    await jsm.streams.add({ name, subjects: [subject], duplicate_window: nanos(DUPLICATE_WINDOW_MS) });
  } else if (!(existing.config.subjects ?? []).some((s) => subjectMatches(s, subject))) {
    await jsm.streams.update(name, { subjects: [...(existing.config.subjects ?? []), subject] });
  }
}

/** undefined for the broker's "not found"; any other failure goes on up. */
function orNotFound(err: unknown): undefined {
  if ((err as NatsError).api_error?.code === 404) return undefined;
  throw err;
}

/** Whether `pattern` (with `*` and `>` wildcards) takes the literal-or-pattern `subject`. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

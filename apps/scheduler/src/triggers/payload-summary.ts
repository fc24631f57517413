/**
 * What a list of triggers shows of each message: its first files and small attributes, never the
 * whole payload (a message may list 100,000 files, a rejected one may be anything). It is kept with
 * the trigger when it is written, so a page of 500 triggers reads 500 small summaries, not 500 payloads.
 */
export interface PayloadSummary {
  /** The message with `files` cut to the first LISTED_FILES and large `attributes` left out. */
  payload: unknown;
  /** How many files the message lists; null if it has no `files` list. */
  fileCount: number | null;
  /** Whether `payload` leaves anything of the message out. */
  truncated: boolean;
}

export const LISTED_FILES = 10;
/** Attributes over this (as JSON) are left out of the summary. */
const LISTED_ATTRIBUTES_CHARS = 2048;
/** A summary over this (as JSON) keeps only the message's short identifying fields. */
const LISTED_PAYLOAD_CHARS = 16_384;
const IDENTIFYING = ['messageId', 'source', 'event', 'businessDate'];

export function summarizePayload(payload: unknown): PayloadSummary {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    const small = fits(payload, LISTED_PAYLOAD_CHARS);
    return { payload: small ? payload : null, fileCount: null, truncated: !small };
  }
  const msg = payload as Record<string, unknown>;
  const files = Array.isArray(msg.files) ? (msg.files as unknown[]) : undefined;
  const bounded: Record<string, unknown> = { ...msg };
  let truncated = false;
  if (files && files.length > LISTED_FILES) {
    bounded.files = files.slice(0, LISTED_FILES);
    truncated = true;
  }
  if ('attributes' in msg && !fits(msg.attributes, LISTED_ATTRIBUTES_CHARS)) {
    delete bounded.attributes;
    truncated = true;
  }
  if (fits(bounded, LISTED_PAYLOAD_CHARS)) return { payload: bounded, fileCount: files?.length ?? null, truncated };
  // Large fields elsewhere (a rejected message may carry anything): only what identifies it.
  const minimal = Object.fromEntries(
    IDENTIFYING.filter((k) => typeof msg[k] === 'string' && (msg[k] as string).length <= 200).map((k) => [k, msg[k]]),
  );
  return { payload: minimal, fileCount: files?.length ?? null, truncated: true };
}

function fits(value: unknown, chars: number): boolean {
  return (JSON.stringify(value) ?? '').length <= chars;
}

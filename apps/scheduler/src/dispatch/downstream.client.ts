import type { Agent } from 'undici';
import { DEFAULT_MAX_RESPONSE_BYTES, httpCall, ResponseTooLargeError } from '#ferry/http';
import type { ReportedError, SyncJobAccepted, SyncJobRequest, SyncJobView } from '#ferry/contracts';
import { EGRESS_REFUSED, type EgressGuard } from '#ferry/egress';
import { badPollAnswer, badStartAnswer } from './downstream-answers.js';

export type StartResult =
  | { ok: true; jobId: string; status: string }
  | { ok: false; retryable: boolean; retryAfterMs?: number; error: ReportedError };

/** `invalid`: the downstream answered, but not a job's view (or too much): the attempt cannot go on on it. */
export type StatusResult =
  { ok: true; view: SyncJobView } | { ok: false; notFound: boolean; invalid?: boolean; error: ReportedError };

/** The port to a downstream speaking the contract's consumer section. Tests swap it for a fake. */
export const DOWNSTREAM = Symbol('DOWNSTREAM');

export interface DownstreamPort {
  start(targetUrl: string, body: SyncJobRequest, idempotencyKey: string, token: string): Promise<StartResult>;
  status(targetUrl: string, jobId: string, token: string): Promise<StatusResult>;
  cancel(targetUrl: string, jobId: string, token: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Keep-alive HTTP (one undici pool per origin) with a bound on connections, a per-call timeout and a
 * cap on the bytes of each answer; an answer is checked before anything of it is kept. Calls go through
 * the egress guard: a target it refuses fails the attempt as EGRESS_REFUSED, before anything is sent.
 */
export class HttpDownstream implements DownstreamPort {
  private readonly agent: Agent;

  constructor(
    private readonly timeoutMs: number,
    egress: EgressGuard,
    connectionsPerOrigin = 64,
    private readonly maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES,
  ) {
    this.agent = egress.agent({ connections: connectionsPerOrigin, keepAliveTimeout: 30_000 });
  }

  async start(targetUrl: string, body: SyncJobRequest, idempotencyKey: string, token: string): Promise<StartResult> {
    try {
      const res = await this.call('POST', `${trim(targetUrl)}/api/v1/sync-jobs`, token, body, {
        'idempotency-key': idempotencyKey,
      });
      if (res.status >= 200 && res.status < 300) {
        const bad = badStartAnswer(res.body);
        if (bad) return { ok: false, retryable: true, error: bad };
        const answer = res.body as SyncJobAccepted;
        return { ok: true, jobId: answer.jobId, status: answer.status };
      }
      const error = { code: `DOWNSTREAM_HTTP_${res.status}`, message: describe(res.body, res.status) };
      if (res.status === 429)
        return { ok: false, retryable: true, retryAfterMs: retryAfterMs(res.headers['retry-after']), error };
      return { ok: false, retryable: res.status >= 500 || res.status === 408, error };
    } catch (err) {
      return { ok: false, retryable: true, error: networkError(err) };
    }
  }

  async status(targetUrl: string, jobId: string, token: string): Promise<StatusResult> {
    try {
      const res = await this.call('GET', `${trim(targetUrl)}/api/v1/sync-jobs/${encodeURIComponent(jobId)}`, token);
      if (res.status === 200) {
        const bad = badPollAnswer(res.body);
        return bad
          ? { ok: false, notFound: false, invalid: true, error: bad }
          : { ok: true, view: res.body as SyncJobView };
      }
      return {
        ok: false,
        notFound: res.status === 404,
        error: { code: `DOWNSTREAM_HTTP_${res.status}`, message: describe(res.body, res.status) },
      };
    } catch (err) {
      return { ok: false, notFound: false, invalid: err instanceof ResponseTooLargeError, error: networkError(err) };
    }
  }

  async cancel(targetUrl: string, jobId: string, token: string): Promise<void> {
    await this.call('POST', `${trim(targetUrl)}/api/v1/sync-jobs/${encodeURIComponent(jobId)}/cancel`, token).catch(
      () => undefined,
    );
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async call(
    method: 'GET' | 'POST',
    url: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const res = await httpCall(this.agent, url, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: this.timeoutMs,
      maxBytes: this.maxResponseBytes,
    });
    let parsed: unknown;
    try {
      parsed = res.text ? JSON.parse(res.text) : null;
    } catch {
      parsed = res.text;
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }
}

const trim = (url: string) => url.replace(/\/+$/, '');

function describe(body: unknown, status: number): string {
  const msg = (body as { error?: { message?: string } })?.error?.message;
  return msg ? `HTTP ${status}: ${msg}` : `HTTP ${status}`;
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function networkError(err: unknown): ReportedError {
  if (err instanceof ResponseTooLargeError) return { code: 'DOWNSTREAM_ANSWER_TOO_LARGE', message: err.message };
  const e = err as { code?: string; message?: string };
  if (e?.code === EGRESS_REFUSED) return { code: EGRESS_REFUSED, message: e.message ?? EGRESS_REFUSED };
  const timeout = e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT';
  return { code: timeout ? 'DOWNSTREAM_TIMEOUT' : 'DOWNSTREAM_UNREACHABLE', message: e?.message ?? String(err) };
}

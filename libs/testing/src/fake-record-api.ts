import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';

export interface SinkItem {
  idempotencyKey: string;
  op: 'upsert' | 'delete';
  key: Record<string, unknown>;
  record?: Record<string, unknown>;
}

interface ItemAnswer {
  status: number;
  outcome?: 'inserted' | 'updated' | 'unchanged' | 'deleted';
  error?: string;
}

/**
 * A partner's REST API as a record sink sees it (docs/contract-additions.md, "Record sink"): it enforces
 * its own rate limit (a fixed one-second window; above it, 429 with Retry-After), remembers every
 * idempotency key it acknowledged (a repeat is answered again, never applied twice), and records
 * everything it was sent, applied or not.
 */
export class FakeRecordApi {
  /** Every request, with the moment it arrived and what it was answered. */
  readonly requests: Array<{ at: number; status: number; items: SinkItem[] }> = [];
  /** Every record applied, once per idempotency key. */
  readonly applied: SinkItem[] = [];
  readonly rows = new Map<string, Record<string, unknown>>();
  /** The claims of every bearer token verified, in arrival order (with the `bearer` option). */
  readonly tokens: jwt.JwtPayload[] = [];
  /** Answers the next N requests with this status (e.g. 503) before looking at them. */
  failNext = { count: 0, status: 503 };
  /** Leaves the next N requests unanswered (until close): the caller's timeout is what ends them. */
  stallNext = 0;
  private readonly answered = new Map<string, ItemAnswer>();
  private windowStart = 0;
  private windowCount = 0;
  private server?: Server;
  url = '';

  constructor(
    private readonly options: {
      /** Requests per second it accepts; none: no limit. */
      ratePerSecond?: number;
      /** A reason to refuse this record with a 422, or undefined to take it. */
      refuse?: (item: SinkItem) => string | undefined;
      /** The header and key every request must carry; otherwise 401. */
      apiKey?: { header: string; value: string };
      /**
       * A JWT every request must carry as `Authorization: Bearer`, verified with this key (the HS256 secret or
       * the public key) for this issuer and audience; otherwise 401. The verified claims land in `tokens`.
       */
      bearer?: { key: string; algorithms: jwt.Algorithm[]; issuer: string; audience: string };
      clock?: () => number;
    } = {},
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.stallNext > 0) {
          this.stallNext--;
          return;
        }
        const items = (JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { records?: SinkItem[] }).records;
        const key = this.options.apiKey;
        const { status, body, headers } =
          (key && req.headers[key.header] !== key.value) || !this.bearerVerified(req.headers.authorization)
            ? { status: 401, body: undefined, headers: {} }
            : this.answer(items ?? []);
        this.requests.push({ at: this.now(), status, items: items ?? [] });
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body ? JSON.stringify(body) : '');
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/records`;
    return this;
  }

  /** The most requests answered (not 429) in any one-second window. */
  busiestWindow(): number {
    const perWindow = new Map<number, number>();
    for (const r of this.requests)
      if (r.status !== 429) perWindow.set(Math.floor(r.at / 1000), (perWindow.get(Math.floor(r.at / 1000)) ?? 0) + 1);
    return Math.max(0, ...perWindow.values());
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private bearerVerified(authorization: string | undefined): boolean {
    const bearer = this.options.bearer;
    if (!bearer) return true;
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!token) return false;
    try {
      const { key, algorithms, issuer, audience } = bearer;
      this.tokens.push(jwt.verify(token, key, { algorithms, issuer, audience }) as jwt.JwtPayload);
      return true;
    } catch {
      return false;
    }
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  private answer(items: SinkItem[]): { status: number; body?: unknown; headers?: Record<string, string> } {
    if (this.failNext.count > 0) {
      this.failNext.count--;
      return { status: this.failNext.status };
    }
    const limit = this.options.ratePerSecond;
    if (limit) {
      const now = this.now();
      const window = Math.floor(now / 1000) * 1000;
      if (window !== this.windowStart) {
        this.windowStart = window;
        this.windowCount = 0;
      }
      if (++this.windowCount > limit) {
        return { status: 429, headers: { 'retry-after': String(Math.ceil((window + 1000 - now) / 1000)) } };
      }
    }
    return { status: 200, body: { results: items.map((item) => this.apply(item)) } };
  }

  private apply(item: SinkItem): ItemAnswer {
    const seen = this.answered.get(item.idempotencyKey);
    if (seen) return seen;
    const reason = this.options.refuse?.(item);
    let answer: ItemAnswer;
    if (reason) answer = { status: 422, error: reason };
    else {
      const id = JSON.stringify(item.key);
      if (item.op === 'delete') {
        answer = { status: 200, outcome: this.rows.delete(id) ? 'deleted' : 'unchanged' };
      } else {
        const before = this.rows.get(id);
        this.rows.set(id, item.record ?? {});
        answer = {
          status: 200,
          outcome: !before
            ? 'inserted'
            : JSON.stringify(before) === JSON.stringify(item.record)
              ? 'unchanged'
              : 'updated',
        };
      }
      this.applied.push(item);
    }
    this.answered.set(item.idempotencyKey, answer);
    return answer;
  }
}

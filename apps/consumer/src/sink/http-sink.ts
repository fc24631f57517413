import { createHash } from 'node:crypto';
import { type Dispatcher, request } from 'undici';
import type { DatasetSpec, HttpSinkSpec } from '#ferry/datasets';
import type { Op, Rejected } from '../workers/batch.js';
import type { Cell } from '../workers/mapping.js';
import type { SinkLimiter } from './sink-limiter.js';

/** What one page's records did at the endpoint; `rejected`: the records it refused with a 4xx. */
export interface SinkResult {
  inserted: number;
  updated: number;
  deleted: number;
  unchanged: number;
  rejected: Rejected[];
}

/** The endpoint stayed unavailable (5xx, timeouts, refused connections) past every retry. */
export class SinkUnavailable extends Error {
  readonly code: string = 'SINK_UNAVAILABLE';
}

interface Item {
  idempotencyKey: string;
  op: 'upsert' | 'delete';
  key: Record<string, Cell>;
  record?: Record<string, Cell>;
  position: number;
}

type Outcome = 'inserted' | 'updated' | 'unchanged' | 'deleted';
interface ItemAnswer {
  status?: number;
  outcome?: Outcome;
  error?: string;
}

export interface SinkOptions {
  dispatcher: Dispatcher;
  limiter: SinkLimiter;
  /** The auth profile's headers (an API key, or a bearer JWT), asked for each request: tokens expire. */
  credentials?: () => Record<string, string>;
  /** Attempts for 5xx and timeouts; a 429 is waited out up to `rateLimitedAttempts` times. */
  attempts?: number;
  rateLimitedAttempts?: number;
  timeoutMs?: number;
  /** Requests in flight per page. */
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Sends a page's mapped records to the dataset's HTTP sink (docs/contract-additions.md, "Record sink").
 * Each record carries an idempotency key derived from job, file, key and position, so a resumed page
 * re-sent after a kill is applied once by an endpoint that honours the key.
 */
export class HttpRecordSink {
  private readonly sink: HttpSinkSpec;
  private readonly columns: string[];
  private readonly keyColumns: string[];
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    spec: DatasetSpec,
    private readonly options: SinkOptions,
  ) {
    this.sink = spec.sink!;
    this.columns = spec.mapping.columns.map((c) => c.name);
    this.keyColumns = spec.key.map(
      (k) => spec.mapping.columns.find((c) => (c.from ?? c.name) === k && c.constant === undefined)!.name,
    );
    this.sleep = options.sleep ?? realSleep;
  }

  async send(jobId: string, fileIndex: number, ops: Op[]): Promise<SinkResult> {
    const result: SinkResult = { inserted: 0, updated: 0, deleted: 0, unchanged: 0, rejected: [] };
    const items = ops.map((op) => this.item(jobId, fileIndex, op));
    for (const wave of waves(items, this.sink.batch ?? 1)) {
      const answers = await pool(wave, this.options.concurrency ?? 8, (req) => this.post(req));
      wave.forEach((req, i) => count(req, answers[i], result));
    }
    result.rejected.sort((a, b) => a.position - b.position);
    return result;
  }

  private item(jobId: string, fileIndex: number, op: Op): Item {
    const key =
      op.kind === 'delete'
        ? Object.fromEntries(this.keyColumns.map((c, i) => [c, op.row[i]]))
        : Object.fromEntries(this.keyColumns.map((c) => [c, op.row[this.columns.indexOf(c)]]));
    const idempotencyKey = createHash('sha256')
      .update(JSON.stringify([jobId, fileIndex, op.key, op.position]))
      .digest('base64url')
      .slice(0, 32);
    const item: Item = { idempotencyKey, op: op.kind, key, position: op.position };
    if (op.kind === 'upsert') item.record = Object.fromEntries(this.columns.map((c, i) => [c, op.row[i]]));
    return item;
  }

  /** One request: waits for the shared rate limit, honours 429, retries 5xx and timeouts with backoff. */
  private async post(items: Item[]): Promise<ItemAnswer[]> {
    const body = JSON.stringify({
      records: items.map(({ idempotencyKey, op, key, record }) => ({ idempotencyKey, op, key, record })),
    });
    const idem =
      items.length === 1
        ? items[0].idempotencyKey
        : createHash('sha256')
            .update(items.map((i) => i.idempotencyKey).join(','))
            .digest('base64url')
            .slice(0, 32);
    const attempts = this.options.attempts ?? 6;
    let failures = 0;
    let limited = 0;
    let last = '';
    for (;;) {
      if (this.sink.ratePerSecond) {
        const wait = await this.options.limiter.take(this.sink.url, this.sink.ratePerSecond);
        if (wait > 0) {
          await this.sleep(wait);
          continue;
        }
      }
      try {
        const timeout = this.options.timeoutMs ?? 10_000;
        const res = await request(this.sink.url, {
          method: 'POST',
          dispatcher: this.options.dispatcher,
          headers: { 'content-type': 'application/json', 'idempotency-key': idem, ...this.options.credentials?.() },
          body,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        });
        const text = await res.body.text();
        if (res.statusCode >= 200 && res.statusCode < 300) return answersOf(text, items.length);
        last = `HTTP ${res.statusCode} from the sink: ${text.slice(0, 300)}`;
        if (res.statusCode === 429) {
          if (++limited > (this.options.rateLimitedAttempts ?? 100)) throw new SinkUnavailable(last);
          await this.sleep(retryAfterMs(res.headers['retry-after']) ?? 1000);
          continue;
        }
        // The endpoint refused these records: each is dead-lettered with its answer, the file goes on.
        if (res.statusCode < 500 && res.statusCode !== 408)
          return items.map(() => ({ status: res.statusCode, error: last }));
      } catch (err) {
        if (err instanceof SinkUnavailable) throw err;
        last = `The sink did not answer: ${(err as Error).message}`;
      }
      if (++failures >= attempts) throw new SinkUnavailable(last);
      await this.sleep(Math.min(5000, 100 * 2 ** failures));
    }
  }
}

/**
 * Requests of up to `size` items, in file order, grouped in waves that run concurrently: a key seen
 * again starts a new request and a new wave, so its second change reaches the endpoint after its first.
 */
function waves(items: Item[], size: number): Item[][][] {
  const out: Item[][][] = [];
  let wave: Item[][] = [];
  let req: Item[] = [];
  let keys = new Set<string>();
  const closeReq = () => {
    if (req.length) wave.push(req);
    req = [];
  };
  for (const item of items) {
    const k = JSON.stringify(item.key);
    if (keys.has(k)) {
      closeReq();
      if (wave.length) out.push(wave);
      wave = [];
      keys = new Set();
    }
    req.push(item);
    keys.add(k);
    if (req.length >= size) closeReq();
  }
  closeReq();
  if (wave.length) out.push(wave);
  return out;
}

async function pool<T, R>(tasks: T[], limit: number, run: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(tasks.length);
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await run(tasks[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  return out;
}

/** A 2xx with no per-record answers acknowledges every record of the request. */
function answersOf(text: string, n: number): ItemAnswer[] {
  let parsed: { results?: ItemAnswer[] } | undefined;
  try {
    parsed = text ? (JSON.parse(text) as { results?: ItemAnswer[] }) : undefined;
  } catch {
    parsed = undefined;
  }
  const results = Array.isArray(parsed?.results) && parsed.results.length === n ? parsed.results : undefined;
  return Array.from({ length: n }, (_, i) => results?.[i] ?? {});
}

function count(items: Item[], answers: ItemAnswer[], into: SinkResult): void {
  items.forEach((item, i) => {
    const a = answers[i];
    if (a.status !== undefined && a.status >= 400) {
      into.rejected.push({
        position: item.position,
        record: item.record ?? item.key,
        reasons: [a.error ?? `HTTP ${a.status} from the sink`],
      });
      return;
    }
    if (item.op === 'delete') {
      if (a.outcome === 'unchanged') into.unchanged++;
      else into.deleted++;
      return;
    }
    // An endpoint that does not say what it did: an acknowledged upsert counts as inserted.
    if (a.outcome === 'updated') into.updated++;
    else if (a.outcome === 'unchanged') into.unchanged++;
    else into.inserted++;
  });
}

function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { httpCall } from '#ferry/http';
import { type ClientConfig, JwtVerifier, type Principal } from '#ferry/auth';
import type { Reconciliation, SyncJobRequest, TaskCallback } from '#ferry/contracts';
import { DEV_SECRET, devToken } from './tokens.js';

export interface FakeStart {
  key: string;
  jobId: string;
  body: SyncJobRequest;
  principal: Principal;
  at: number;
}

export interface FakeDownstreamOptions {
  /** What to report when a sync starts: call back at once, or leave it to the test. */
  behaviour?: 'succeed' | 'fail' | 'manual';
  /** Report only to the status endpoint (a lost callback): the scheduler must poll. */
  dropCallbacks?: boolean;
  /** Answer the next N sync requests with this HTTP status (e.g. 503, 429). */
  failNext?: { count: number; status: number; retryAfterSeconds?: number };
  /** Never answer the next N sync requests (the caller's timeout fires); they start nothing. */
  hangNext?: number;
  /** Adjust the reconciliation a job reports (e.g. to make a mismatch). */
  reconcile?: (req: SyncJobRequest) => Reconciliation;
  delayMs?: number;
  /** Callers trusted besides the scheduler's development client (e.g. an auth profile's issuer and key). */
  clients?: ClientConfig[];
}

/**
 * A downstream that speaks the contract's consumer section, for tests and the bench: verifies the
 * scheduler's JWT, honours Idempotency-Key (the same key never starts a second job), records every
 * start, and reports back through the callback API.
 */
export class FakeDownstream {
  readonly starts: FakeStart[] = [];
  readonly requests: Array<{ key: string | undefined; status: number; at: number }> = [];
  readonly jobs = new Map<
    string,
    { key: string; body: SyncJobRequest; status: string; reconciliation?: Reconciliation }
  >();
  private readonly byKey = new Map<string, string>();
  private readonly verifier: JwtVerifier;
  private readonly agent = new Agent({ connections: 64 });
  private readonly callbackToken = devToken('ferry-scheduler', ['callbacks:write'], 'ferry-consumer', DEV_SECRET, 3600);
  private server?: Server;
  url = '';
  callbacksSent = 0;

  constructor(public options: FakeDownstreamOptions = {}) {
    this.verifier = new JwtVerifier({
      audience: 'ferry-consumer',
      clients: [
        {
          clientId: 'ferry-scheduler',
          keys: [{ alg: 'HS256', secret: DEV_SECRET }],
          scopes: ['sync:write', 'sync:read'],
        },
        ...(options.clients ?? []),
      ],
    });
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
    await this.agent.close();
  }

  /** Sends a callback for a started job, as a real downstream would. */
  async report(jobId: string, callback: Omit<TaskCallback, 'dispatchId'>): Promise<{ status: number; body: unknown }> {
    const job = this.jobs.get(jobId)!;
    job.status = callback.status;
    if (callback.reconciliation) job.reconciliation = callback.reconciliation;
    if (this.options.dropCallbacks) return { status: 0, body: null };
    this.callbacksSent++;
    const res = await httpCall(this.agent, job.body.callbackUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.callbackToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...callback, dispatchId: job.body.dispatchId, jobId }),
    });
    return { status: res.status, body: JSON.parse(res.text) };
  }

  startsFor(taskRunId: string): FakeStart[] {
    return this.starts.filter((s) => s.body.taskRunId === taskRunId);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const principal = this.verifier.verify((req.headers.authorization ?? '').replace(/^Bearer /i, ''));
      const url = new URL(req.url ?? '/', 'http://x');
      const body = await readJson(req);
      if (req.method === 'POST' && url.pathname === '/api/v1/sync-jobs')
        return this.startJob(req, res, body as SyncJobRequest, principal);
      const m = /^\/api\/v1\/sync-jobs\/([^/]+)(\/cancel)?$/.exec(url.pathname);
      const job = m && this.jobs.get(m[1]);
      if (!job) return send(res, 404, { error: { code: 'NOT_FOUND', message: 'no such job', details: [] } });
      if (m[2]) job.status = 'CANCELLED';
      return send(res, 200, {
        jobId: m[1],
        status: job.status,
        reconciliation: job.reconciliation,
        files: job.body.files,
      });
    } catch {
      send(res, 401, { error: { code: 'UNAUTHENTICATED', message: 'bad token', details: [] } });
    }
  }

  private async startJob(
    req: IncomingMessage,
    res: ServerResponse,
    body: SyncJobRequest,
    principal: Principal,
  ): Promise<void> {
    const key = req.headers['idempotency-key'] as string | undefined;
    if (this.options.hangNext && this.options.hangNext > 0) {
      this.options.hangNext--;
      this.requests.push({ key, status: 0, at: Date.now() });
      return;
    }
    const fail = this.options.failNext;
    if (fail && fail.count > 0) {
      fail.count--;
      this.requests.push({ key, status: fail.status, at: Date.now() });
      if (fail.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(fail.retryAfterSeconds));
      return send(res, fail.status, { error: { code: 'UNAVAILABLE', message: 'injected failure', details: [] } });
    }
    this.requests.push({ key, status: 202, at: Date.now() });
    if (!key)
      return send(res, 422, {
        error: { code: 'VALIDATION_FAILED', message: 'Idempotency-Key is required', details: [] },
      });
    const known = this.byKey.get(key);
    if (known) return send(res, 202, { jobId: known, status: this.jobs.get(known)!.status });
    const jobId = randomUUID();
    this.byKey.set(key, jobId);
    this.jobs.set(jobId, { key, body, status: 'ACCEPTED' });
    this.starts.push({ key, jobId, body, principal, at: Date.now() });
    send(res, 202, { jobId, status: 'ACCEPTED' });
    if (this.options.behaviour !== 'manual')
      setTimeout(() => void this.complete(jobId).catch(() => undefined), this.options.delayMs ?? 0);
  }

  /** Reports a started job's end as `behaviour` says: what 'manual' leaves to the test (or the bench) to call. */
  async complete(jobId: string): Promise<void> {
    const job = this.jobs.get(jobId)!;
    if (this.options.behaviour === 'fail') {
      await this.report(jobId, {
        status: 'FAILED',
        error: { code: 'INJECTED', message: 'the fake downstream failed this job' },
      });
      return;
    }
    const file = job.body.files[0] ?? { name: '?' };
    const n = file.recordCount ?? 0;
    const reconciliation = this.options.reconcile?.(job.body) ?? {
      expected: n,
      received: n,
      inserted: n,
      updated: 0,
      deleted: 0,
      unchanged: 0,
      rejected: 0,
      checksum: file.checksum,
    };
    await this.report(jobId, { status: 'SUCCEEDED', reconciliation });
  }
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : undefined);
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JwtVerifier } from '#ferry/auth';
import { Audience, Scope, type TaskCallback, type TriggerMessage } from '#ferry/contracts';
import { DEV_SECRET } from './tokens.js';

export interface ReceivedCallback {
  taskRunId: string;
  body: TaskCallback;
}

/**
 * A stand-in for the scheduler's two inbound endpoints (triggers, task callbacks): it checks the
 * bearer token as the real one would, records what it got, and can play "down" (503).
 */
export interface FakeScheduler {
  url: string;
  triggers: TriggerMessage[];
  callbacks: ReceivedCallback[];
  /** Requests refused while down or for a bad token. */
  refused: number;
  setDown(down: boolean): void;
  callbackUrl(taskRunId: string): string;
  /** Polls `probe` until it answers something truthy. */
  waitFor<T>(probe: () => T | undefined | null | false, timeoutMs?: number, what?: string): Promise<T>;
  close(): Promise<void>;
}

export async function startFakeScheduler(
  opts: { onTrigger?: (t: TriggerMessage) => void } = {},
): Promise<FakeScheduler> {
  // Each caller granted what a real scheduler's development defaults grant it.
  const keys = [{ alg: 'HS256' as const, secret: DEV_SECRET }];
  const clients = [
    { clientId: 'ferry-provider', keys, scopes: [Scope.triggersWrite] },
    { clientId: 'ferry-consumer', keys, scopes: [Scope.callbacksWrite] },
    { clientId: 'upstream-dev', keys, scopes: [Scope.triggersWrite] },
  ];
  const verifier = new JwtVerifier({ audience: Audience.scheduler, clients });
  let down = false;
  const state = { triggers: [] as TriggerMessage[], callbacks: [] as ReceivedCallback[], refused: 0 };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (down) return (state.refused++, reply(503, { error: { code: 'UNAVAILABLE', message: 'down', details: [] } }));
      const path = req.url ?? '';
      const callback = /^\/api\/v1\/callbacks\/tasks\/([^/?]+)$/.exec(path);
      const needed = path === '/api/v1/triggers' ? Scope.triggersWrite : callback ? Scope.callbacksWrite : undefined;
      if (req.method !== 'POST' || !needed)
        return reply(404, { error: { code: 'NOT_FOUND', message: path, details: [] } });
      try {
        const principal = verifier.verify(String(req.headers.authorization ?? '').replace(/^Bearer /, ''));
        if (!principal.scopes.includes(needed))
          return (state.refused++, reply(403, { error: { code: 'FORBIDDEN', message: needed, details: [] } }));
      } catch {
        return (state.refused++, reply(401, { error: { code: 'UNAUTHENTICATED', message: 'bad token', details: [] } }));
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (callback) {
        state.callbacks.push({ taskRunId: decodeURIComponent(callback[1]), body });
        return reply(200, { applied: true, status: body.status });
      }
      const duplicate = state.triggers.some((t) => t.source === body.source && t.messageId === body.messageId);
      if (!duplicate) {
        state.triggers.push(body);
        opts.onTrigger?.(body);
      }
      reply(duplicate ? 200 : 202, { triggerId: `t-${body.messageId}`, duplicate, groupRuns: [] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    get triggers() {
      return state.triggers;
    },
    get callbacks() {
      return state.callbacks;
    },
    get refused() {
      return state.refused;
    },
    setDown: (d) => {
      down = d;
    },
    callbackUrl: (id) => `${url}/api/v1/callbacks/tasks/${encodeURIComponent(id)}`,
    waitFor: async (probe, timeoutMs = 20_000, what = 'condition') => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const v = probe();
        if (v) return v;
        if (Date.now() > until) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import { Audience, Scope } from '#ferry/contracts';
import {
  DEV_MODE_ENV,
  call,
  createTestDatabase,
  FakeDownstream,
  type FakeDownstreamOptions,
  type JsonResponse,
  devToken,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
} from '#ferry/testing';
import {
  type RuntimeOverrides,
  schedulerConfigFromEnv,
  type SchedulerConfig,
  type SchedulerHandle,
  startScheduler,
  type Tuning,
} from '../../apps/scheduler/src/index.js';

export const adminToken = () => devToken(Audience.scheduler, [Scope.adminRead, Scope.adminWrite], 'ferry-admin');
export const triggerToken = () => devToken(Audience.scheduler, [Scope.triggersWrite]);
export const callbackToken = () => devToken(Audience.scheduler, [Scope.callbacksWrite], 'ferry-consumer');

export interface SchedulerUnderTest {
  handle: SchedulerHandle;
  db: TestDatabase;
  config: SchedulerConfig;
  api(method: string, path: string, body?: unknown, token?: string): Promise<JsonResponse<any>>;
  close(): Promise<void>;
}

/** One scheduler on a fresh database and its own Redis key prefix. */
export async function startTestScheduler(
  dbType: 'sqlite' | 'postgres',
  env: Record<string, string> = {},
  opts: { db?: TestDatabase; keepDb?: boolean; overrides?: RuntimeOverrides; tuning?: Partial<Tuning> } = {},
): Promise<SchedulerUnderTest> {
  const db = opts.db ?? (await createTestDatabase(dbType));
  const config = schedulerConfigFromEnv({
    ...DEV_MODE_ENV,
    FERRY_SCHEDULER_PORT: '0',
    FERRY_SCHEDULER_HOST: '127.0.0.1',
    FERRY_REDIS_URL: TEST_REDIS_URL,
    FERRY_QUEUE_PREFIX: uniquePrefix('sch'),
    FERRY_RECONCILE_INTERVAL_MS: '60000',
    ...env,
  });
  config.db = db.config;
  config.logLevels = ['error', 'fatal'];
  config.tuning = { ...config.tuning, ...opts.tuning };
  const handle = await startScheduler(config, opts.overrides);
  return {
    handle,
    db,
    config,
    api: (method, path, body, token = adminToken()) => call(method, `${handle.url}/api/v1${path}`, { body, token }),
    close: async () => {
      await handle.close();
      if (!opts.keepDb) await db.drop();
    },
  };
}

export function definitionBody(name: string, urls: string[], overrides: Record<string, unknown> = {}) {
  return {
    name,
    mode: 'ASYNC',
    bindings: [{ source: 'billing', event: `${name}.ready` }],
    target: { urls },
    pollIntervalSeconds: 0.3,
    retry: { maxAttempts: 3, initialDelaySeconds: 0.1, factor: 2, maxDelaySeconds: 1 },
    attemptTimeoutSeconds: 30,
    ...overrides,
  };
}

export function triggerBody(definition: string, files: number, messageId = `m-${Math.random().toString(36).slice(2)}`) {
  return {
    messageId,
    source: 'billing',
    event: `${definition}.ready`,
    businessDate: '2026-11-24',
    files: Array.from({ length: files }, (_, i) => ({
      name: `f-${i}.ndjson`,
      dataset: 'invoices',
      fileId: `f-${i}`,
      recordCount: 10 + i,
      checksum: `sha256:${i}`,
    })),
  };
}

/** Polls until `check` returns a value, or fails with the last value seen. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    const v = await check();
    if (v) return v;
    last = v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/**
 * Defines `name` on the downstream at `url` and posts one
 * trigger of `files` files for it: answers the group run's id.
 */
export async function defineAndTrigger(
  s: SchedulerUnderTest,
  name: string,
  url: string,
  files: number,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const defined = await s.api('POST', '/definitions', definitionBody(name, [url], overrides));
  if (defined.status !== 201) throw new Error(`definition ${name}: ${defined.status} ${JSON.stringify(defined.body)}`);
  const posted = await s.api('POST', '/triggers', triggerBody(name, files), triggerToken());
  if (posted.status !== 202) throw new Error(`trigger for ${name}: ${posted.status} ${JSON.stringify(posted.body)}`);
  return posted.body.groupRuns[0].id as string;
}

export async function waitForGroup(s: SchedulerUnderTest, id: string, status: string, timeoutMs = 15_000) {
  return eventually(
    async () => {
      const r = await s.api('GET', `/group-runs/${id}`);
      return r.body?.status === status ? r.body : undefined;
    },
    timeoutMs,
    `group ${id} to be ${status}`,
  );
}

/** Fake downstreams started by a suite, all closed by `closeAll` in its afterAll. */
export function fakeDownstreams(): {
  start(options?: FakeDownstreamOptions): Promise<FakeDownstream>;
  closeAll(): Promise<void>;
} {
  const started: FakeDownstream[] = [];
  return {
    start: async (options = {}) => {
      const f = await new FakeDownstream(options).start();
      started.push(f);
      return f;
    },
    closeAll: async () => {
      await Promise.all(started.map((f) => f.close()));
    },
  };
}

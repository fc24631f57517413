import { type ChildProcess, fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { DEV_MODE_ENV, devToken, freePort } from '#ferry/testing';
import { BENCH_REDIS_ENV } from './bench-redis.js';

// What the scheduler benchmarks share: the fake downstream's process, a scheduler process as deployed,
// and the upstream's and the operator's HTTP client.

/**
 * What the bench tells a holding downstream: complete the `release` oldest jobs it holds (none: just count);
 * `received`: also say when each task's first sync request came.
 */
export interface DownstreamCommand {
  release?: number;
  received?: boolean;
}

/** Its answer: sync jobs started so far, and how many of them it has completed. */
export interface DownstreamCounts {
  starts: number;
  released: number;
  /** Asked for: each task's first sync request, as [taskRunId, epoch ms it arrived]. */
  received?: Array<[string, number]>;
}

export interface BenchDownstream {
  url: string;
  pid: number;
  /** Completes the `n` oldest jobs held (hold mode), and answers the counts after. */
  release(n: number): Promise<DownstreamCounts>;
  counts(): Promise<DownstreamCounts>;
  /**
   * When each task's first sync request reached the downstream (epoch ms, by task run id): the end of a
   * trigger→dispatch latency, measured where the request lands rather than from the task's `dispatched_at`
   * (its claim, which for a small run is written with the trigger, before anything is sent).
   */
  received(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/**
 * The fake downstream (bench/fake-downstream.process.ts) in its own process. `hold`: it answers each
 * sync request at once but calls back only when released; otherwise it calls back at once.
 */
export async function startBenchDownstream(
  opts: { hold?: boolean; execArgv?: string[] } = {},
): Promise<BenchDownstream> {
  const child = fork(
    fileURLToPath(new URL('./fake-downstream.process.js', import.meta.url)),
    opts.hold ? ['hold'] : [],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: opts.execArgv ?? process.execArgv },
  );
  const next = <T>() => new Promise<T>((r) => child.once('message', (m) => r(m as T)));
  const { url } = await next<{ url: string }>();
  // One command at a time: each answer is the next message.
  let queue = Promise.resolve<unknown>(undefined);
  const ask = (command: DownstreamCommand) => {
    const answer = queue.then(() => {
      const counts = next<DownstreamCounts>();
      child.send(command);
      return counts;
    });
    queue = answer;
    return answer;
  };
  return {
    url,
    pid: child.pid!,
    release: (n) => ask({ release: n }),
    counts: () => ask({}),
    received: async () => new Map((await ask({ received: true })).received),
    close: async () => {
      // Disconnecting lets it exit by itself (and write its profile, if asked for).
      const exited = new Promise((r) => child.once('exit', r));
      child.disconnect();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      child.kill();
    },
  };
}

export interface SchedulerProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** SIGTERM, and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * A scheduler as deployed (`main.js`), on the bench's database and queue prefix: API only, or with its
 * queue workers. It migrates an empty database itself. `env` adds to or overrides its settings.
 */
export async function startSchedulerProcess(
  dbUrl: string,
  prefix: string,
  opts: { workers: boolean; env?: Record<string, string> },
): Promise<SchedulerProcess> {
  const port = await freePort();
  const main = fileURLToPath(new URL('../apps/scheduler/src/main.js', import.meta.url));
  const child = spawn(process.execPath, [...SCHEDULER_V8_FLAGS, ...schedulerNodeFlags(), main], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      ...DEV_MODE_ENV,
      FERRY_SCHEDULER_PORT: String(port),
      FERRY_SCHEDULER_HOST: '127.0.0.1',
      FERRY_SCHEDULER_DB_TYPE: 'postgres',
      FERRY_SCHEDULER_DB_URL: dbUrl,
      ...BENCH_REDIS_ENV,
      FERRY_QUEUE_PREFIX: prefix,
      FERRY_SCHEDULER_WORKERS: String(opts.workers),
      FERRY_SCHEDULER_CONCURRENCY: process.env.FERRY_SCHEDULER_CONCURRENCY ?? '256',
      FERRY_RATE_LIMIT_PER_SECOND: '1000000',
      FERRY_LOG_LEVEL: 'silent',
      FERRY_SCHEDULER_DB_LANES: '2',
      ...opts.env,
    },
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    const ok = await request(`${url}/health/live`).then(
      (r) => r.body.text().then(() => r.statusCode === 200),
      () => false,
    );
    if (ok)
      return {
        url,
        pid: child.pid!,
        child,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('the scheduler process did not start');
}

/** The scheduler's V8 flags as deployed (`start:scheduler`, compose): why, in the README's "Performance". */
const SCHEDULER_V8_FLAGS = ['--max-semi-space-size=32', '--max-old-space-size=256'];

/**
 * Extra node flags for the scheduler process (FERRY_BENCH_SCHEDULER_NODE_FLAGS, space-separated, after the deployed
 * ones so they win), to look inside it while a benchmark runs: `--inspect=0`, `--heapsnapshot-signal=SIGWINCH` (not
 * SIGUSR2: Nest's shutdown hooks stop the scheduler on it), another heap limit to try.
 */
function schedulerNodeFlags(): string[] {
  return (process.env.FERRY_BENCH_SCHEDULER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
}

/** The bench's HTTP client of a scheduler: an upstream posting triggers, an operator defining the definition. */
export class BenchApi {
  private readonly agent: Agent;
  private readonly admin = devToken('ferry-scheduler', ['admin:read', 'admin:write'], 'ferry-admin', undefined, 3600);
  private readonly upstream = devToken('ferry-scheduler', ['triggers:write'], 'upstream-dev', undefined, 3600);

  /** `connections`: keep-alive connections to the scheduler, the most requests in flight at once. */
  constructor(
    private readonly url: string,
    connections = 16,
  ) {
    this.agent = new Agent({ connections });
  }

  /** The definition every scheduler benchmark runs: ASYNC, bound to bench/files.ready, one target. */
  define(downstreamUrl: string, timing = { pollIntervalSeconds: 300, attemptTimeoutSeconds: 600 }): Promise<unknown> {
    return this.post(
      '/definitions',
      {
        name: 'bench',
        mode: 'ASYNC',
        bindings: [{ source: 'bench', event: 'files.ready' }],
        target: { urls: [downstreamUrl] },
        retry: { maxAttempts: 3, initialDelaySeconds: 1, factor: 2, maxDelaySeconds: 10 },
        ...timing,
      },
      this.admin,
    );
  }

  /** Trigger `messageId` with `files` files named after it, each one task. */
  trigger(messageId: string, files: number): Promise<unknown> {
    const refs = Array.from({ length: files }, (_, i) => ({
      name: `${messageId}-f${i}`,
      dataset: 'bench',
      fileId: `${messageId}-f${i}`,
      recordCount: 0,
    }));
    return this.post('/triggers', { messageId, source: 'bench', event: 'files.ready', files: refs }, this.upstream);
  }

  /** Posts `tasks` tasks as triggers of `filesPerTrigger` files, `inFlight` at a time (ids `${prefix}-<n>`). */
  async triggers(prefix: string, tasks: number, filesPerTrigger: number, inFlight = 4): Promise<void> {
    const triggers = Math.ceil(tasks / filesPerTrigger);
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < triggers) {
          const t = next++;
          await this.trigger(`${prefix}-${t}`, Math.min(filesPerTrigger, tasks - t * filesPerTrigger));
        }
      }),
    );
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async post(path: string, body: unknown, token: string): Promise<unknown> {
    const res = await request(`${this.url}/api/v1${path}`, {
      method: 'POST',
      dispatcher: this.agent,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${path}: ${res.statusCode} ${text}`);
    return JSON.parse(text);
  }
}

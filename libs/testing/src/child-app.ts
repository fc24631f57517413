import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';

/** A free TCP port on 127.0.0.1 (a child app can't report a port 0 back to us). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

export interface ChildApp {
  url: string;
  pid: number;
  process: ChildProcess;
  /** What it wrote to stdout/stderr (the last 64 KiB), for a failing test's message. */
  output(): string;
  /** Peak resident set size so far (VmHWM), in bytes: all threads of the process. */
  peakRss(): number;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs a built app (`node <main.js>`) as a child process with the given env, and waits until its
 * /health/live answers. `portEnv` names the variable the app reads its port from.
 */
export async function spawnApp(
  main: string,
  env: Record<string, string>,
  portEnv: string,
  opts: { nodeArgs?: string[]; timeoutMs?: number } = {},
): Promise<ChildApp> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), main], {
    env: { ...process.env, ...env, [portEnv]: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (b: Buffer) => (output = (output + b.toString('utf8')).slice(-65_536));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${main} exited at start:\n${output}`);
    const up = await fetch(`${url}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`${main} did not come up:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid!,
    process: child,
    output: () => output,
    peakRss: () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) * 1024 : 0;
      } catch {
        return 0;
      }
    },
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

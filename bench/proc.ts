import { onRedisCluster } from './bench-redis.js';
import { readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';

// What the benchmarks read about processes from Linux's /proc: CPU by kind of process, resident memory.
// Elsewhere CPU comes back empty and memory as 0.

/**
 * CPU milliseconds used so far by kind of process: the processes named by pid, PostgreSQL (every
 * backend, and those that ended), Redis, and any other scheduler process (`main.js`) as "scheduler (2nd process)".
 */
export async function cpuByKind(named: Record<number, string>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  const tickMs = 10; // USER_HZ is 100 on Linux
  for (const pid of pids) {
    try {
      const [stat, cmd] = await Promise.all([
        readFile(`/proc/${pid}/stat`, 'utf8'),
        readFile(`/proc/${pid}/cmdline`, 'utf8'),
      ]);
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const postgres = cmd.startsWith('postgres') || cmd.includes('/postgres');
      // utime + stime; for PostgreSQL also cutime + cstime: a backend that ends (its pool closed an idle connection)
      // hands its CPU to the postmaster, which reaps it. Without that, a backend that ended in the window took its
      // CPU away with it, and its share before the window was subtracted: PostgreSQL's figure came out too low.
      const ticks = Number(fields[11]) + Number(fields[12]) + (postgres ? Number(fields[13]) + Number(fields[14]) : 0);
      const ms = ticks * tickMs;
      const kind =
        named[Number(pid)] ??
        (postgres
          ? 'postgres'
          : cmd.startsWith('redis-server') && cmd.includes('[cluster]') === onRedisCluster
            ? 'redis'
            : cmd.includes('apps/scheduler/src/main.js')
              ? 'scheduler (2nd process)'
              : undefined);
      if (kind) out[kind] = (out[kind] ?? 0) + ms;
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** CPU ms per task of each kind between two cpuByKind readings. */
export function cpuPerTask(
  before: Record<string, number>,
  after: Record<string, number>,
  tasks: number,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after).map(([k, v]) => [k, Math.round(((v - (before[k] ?? 0)) / tasks) * 1000) / 1000]),
  );
}

/** "scheduler 0.480, postgres 0.200, …, total 0.880". */
export function formatCpu(cpu: Record<string, number>): string {
  const total = Object.values(cpu).reduce((n, v) => n + v, 0);
  return `${Object.entries(cpu)
    .map(([k, v]) => `${k} ${v.toFixed(3)}`)
    .join(', ')}, total ${total.toFixed(3)}`;
}

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resident memory now, MiB. */
export const rssMiB = (pid = process.pid) => statusKiB(pid, 'VmRSS') / 1024;

/** Peak resident memory (VmHWM) since the process started or since resetPeakRss, MiB. */
export const peakRssMiB = (pid = process.pid) => statusKiB(pid, 'VmHWM') / 1024;

/** Starts a new peak (Linux ≥ 4.0: "5" to clear_refs); without it the peak stays the process's lifetime one. */
export async function resetPeakRss(pid = process.pid): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => undefined);
}

/** A process's RSS sampled every second, from start() to stop(). */
export class RssSampler {
  readonly samples: Array<{ at: number; mib: number }> = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly pid: number) {}

  start(): this {
    const take = () => this.samples.push({ at: performance.now(), mib: rssMiB(this.pid) });
    take();
    this.timer = setInterval(take, 1000);
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get peakMiB(): number {
    return Math.max(0, ...this.samples.map((s) => s.mib));
  }

  /** The latest sample, MiB. */
  get lastMiB(): number {
    return this.samples.at(-1)?.mib ?? 0;
  }
}

/** The value at fraction `p` of values sorted ascending (NaN for none). */
export function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;
}

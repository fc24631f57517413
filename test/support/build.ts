import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname ?? '.', '../..');
export const DIST_WORKER = resolve(ROOT, 'dist/apps/consumer/src/workers/file-worker-entry.cjs');
export const DIST_CONSUMER_MAIN = resolve(ROOT, 'dist/apps/consumer/src/main.js');
export const DIST_GENERATOR = resolve(ROOT, 'dist/apps/provider/src/cli/generate.js');
export const DIST_SCHEDULER_MAIN = resolve(ROOT, 'dist/apps/scheduler/src/main.js');
export const DIST_PROVIDER_MAIN = resolve(ROOT, 'dist/apps/provider/src/main.js');

/** What the e2e suites run as compiled JS (worker threads, child processes). */
const OUTPUTS = [DIST_WORKER, DIST_CONSUMER_MAIN, DIST_PROVIDER_MAIN, DIST_GENERATOR];
/** The sources those outputs are built from; other apps (the scheduler) don't make them stale. */
const SOURCES = ['apps/consumer/src', 'apps/provider/src', 'libs'];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** dist/ is usable when every output exists and is newer than every source it is built from. */
function isFresh(outputs = OUTPUTS, sources = SOURCES): boolean {
  if (!outputs.every((o) => existsSync(o))) return false;
  const built = Math.min(...outputs.map((o) => statSync(o).mtimeMs));
  return sources.every((s) => newestMtime(resolve(ROOT, s)) <= built);
}

let built: Promise<void> | undefined;
let schedulerBuilt: Promise<void> | undefined;

/** The scheduler as compiled JS, for suites that run it as child processes (kill -9, several instances). */
export function ensureSchedulerBuilt(): Promise<void> {
  schedulerBuilt ??= build([DIST_SCHEDULER_MAIN], ['apps/scheduler/src', 'libs']);
  return schedulerBuilt;
}

/**
 * Worker threads and child processes run compiled JS. `npm test` builds before Jest, so usually
 * dist/ is fresh and this costs a few stat calls; after an edit (a single suite run by hand) it
 * builds once per test file. A lock directory keeps parallel suites from writing dist/ together.
 */
export function ensureBuilt(): Promise<void> {
  built ??= build();
  return built;
}

async function build(outputs = OUTPUTS, sources = SOURCES): Promise<void> {
  if (isFresh(outputs, sources)) return;
  const lock = resolve(ROOT, 'dist/.e2e-build-lock');
  mkdirSync(resolve(ROOT, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 120_000)
        rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    // Another suite may have built while we waited for the lock.
    if (isFresh(outputs, sources)) return;
    execFileSync(process.execPath, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: 'pipe',
    });
  } catch (err) {
    // Errors elsewhere in the repo still emit; only a missing output of ours is fatal.
    if (!outputs.every((o) => existsSync(o)))
      throw new Error(`build failed: ${(err as { stdout?: Buffer }).stdout?.toString()}`, { cause: err });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

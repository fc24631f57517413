import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FileTask } from '../workers/file-worker.js';
import { WORKER_OUT_OF_MEMORY, WorkerPool } from './worker-pool.js';

// A stand-in for the file worker: `grow` allocates until the thread's heap limit ends it.
const WORKER = `
export default async function (task) {
  if (task.grow) {
    const hold = [];
    for (;;) hold.push(new Array(100000).fill(hold.length));
  }
  return { status: 'SUCCEEDED' };
}
`;

describe('WorkerPool', () => {
  let dir: string;
  let pool: WorkerPool;
  const limits = { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8, stackSizeMb: 2 };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-pool-'));
    writeFileSync(join(dir, 'worker.mjs'), WORKER);
    pool = new WorkerPool({
      workerFile: pathToFileURL(join(dir, 'worker.mjs')).href,
      workers: 1,
      workerLimits: limits,
    });
  });
  afterAll(async () => {
    await pool?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives piscina the configured resource limits', () => {
    expect(pool.resourceLimits).toEqual(limits);
  });

  it('fails a file whose thread runs out of memory with a clear error, and goes on with the next', async () => {
    const outcome = await pool.run({ grow: true } as unknown as FileTask);
    expect(outcome).toEqual({
      status: 'FAILED',
      errorCode: WORKER_OUT_OF_MEMORY,
      errorMessage: expect.stringMatching(/ran out of memory \(limits 32 MB old, 8 MB young/),
    });
    expect(await pool.run({} as FileTask)).toEqual({ status: 'SUCCEEDED' });
  });
});

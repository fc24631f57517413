// The file piscina loads in each worker thread. piscina first tries `require()` on its `filename`,
// and on Node 20.19+ that loads an ES module synchronously (require(esm)), which sometimes aborts the
// whole process ("FATAL ERROR: v8::Module::IsGraphAsync must be used on an instantiated module",
// seen once under load here). This CommonJS entry is what require() finds; the worker itself is
// loaded once by a plain dynamic import.
import type { FileOutcome, FileTask } from './file-worker.js';

let worker: Promise<{ default: (task: FileTask) => Promise<FileOutcome> }> | undefined;

export = async function run(task: FileTask): Promise<FileOutcome> {
  worker ??= import('./file-worker.js');
  return (await worker).default(task);
};

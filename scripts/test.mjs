#!/usr/bin/env node
// The one test command (README, .ci/run): format check and lint (seconds, so they fail first), then
// typecheck (the portal's browser code too), build (e2e tests spawn the built apps; the portal's bundle),
// then every Jest project (unit, integration, e2e, security, browser)
// against the local Redis and PostgreSQL.
import { spawnSync } from 'node:child_process';

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
const tsc = 'node_modules/typescript/bin/tsc';
run(process.execPath, ['node_modules/prettier/bin/prettier.cjs', '--check', '--log-level=warn', '.']);
run(process.execPath, ['node_modules/eslint/bin/eslint.js', '--max-warnings=0', '.']);
run(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit']);
run(process.execPath, [tsc, '-p', 'apps/portal/tsconfig.json']);
run(process.execPath, [tsc, '-p', 'tsconfig.build.json']);
// The portal's bundle (dist/portal): the scheduler serves it at /portal, the browser tests open it.
run(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'apps/portal/vite.config.ts']);
run(process.execPath, [
  '--experimental-vm-modules',
  'node_modules/jest/bin/jest.js',
  '--maxWorkers=2',
  ...process.argv.slice(2),
]);

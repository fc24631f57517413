import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

// The layering rules of eslint.config.mjs are regular expressions over import specifiers: a typo
// there silences a rule without any error, so each one is run here against a breach and a legal import.
const eslint = new ESLint({ cwd: fileURLToPath(new URL('../../..', import.meta.url)) });

async function layeringErrors(filePath: string, specifier: string): Promise<string[]> {
  const code = `import * as m from '${specifier}';\nexport { m };\n`;
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

type Case = [file: string, specifier: string, because: string];

const breaches: Case[] = [
  ['apps/scheduler/src/tasks/x.ts', '../../../consumer/src/start.js', 'An app never imports another app'],
  ['apps/consumer/src/main.ts', '../../provider/src/start.js', 'An app never imports another app'],
  ['apps/provider/src/files/x.ts', '../../../../apps/scheduler/src/index.js', 'An app never imports another app'],
  ['libs/testing/src/x.ts', '../../../apps/scheduler/src/index.js', 'A library never imports an app'],
  ['libs/contracts/src/x.ts', '../../../apps/consumer/src/config.js', 'A library never imports an app'],
  ...['typeorm', 'pg', 'oracledb', 'better-sqlite3', 'ioredis', 'bullmq', '@nestjs/bullmq', 'undici'].map(
    (pkg): Case => ['libs/contracts/src/x.ts', pkg, 'nothing of storage or transport'],
  ),
  ...['#ferry/persistence', '#ferry/sql', '#ferry/queue', '#ferry/outbox'].map((lib): Case => [
    'libs/contracts/src/x.ts',
    lib,
    'nothing of storage or transport',
  ]),
  ['apps/scheduler/src/x.ts', '../../../libs/auth/src/index.js', 'never by a relative path'],
  ['test/e2e/x.test.ts', '../../libs/persistence/src/index.js', 'never by a relative path'],
  ['bench/x.ts', '../libs/contracts/src/trigger.js', 'never by a relative path'],
  ['libs/http/src/x.ts', '../../auth/src/index.js', 'never by a relative path'],
  ['apps/consumer/src/x.ts', '#ferry/auth/src/sign.js', 'never a deep path'],
  ['test/e2e/x.test.ts', '../../apps/scheduler/src/tasks/task-store.js', 'top-level entry files'],
  ['test/e2e/x.test.ts', '../../apps/scheduler/src/start.js', 'top-level entry files'],
  ['test/support/x.ts', '../../apps/scheduler/src/maintenance/reconciler.js', 'top-level entry files'],
  ['test/e2e/x.test.ts', '../../apps/scheduler/src/maintenance/reconciler.js', 'top-level entry files'],
  ['test/support/x.ts', '../../apps/consumer/src/workers/file-worker.js', 'top-level entry files'],
  ['bench/x.ts', '../apps/provider/src/files/storage.js', 'top-level entry files'],
  ['scripts/x.ts', '../apps/provider/package.json', 'top-level entry files'],
];

const legal: Array<[file: string, specifier: string]> = [
  ['apps/scheduler/src/tasks/x.ts', '../groups/group-store.js'],
  ['apps/scheduler/src/x.ts', '#ferry/persistence'],
  ['apps/consumer/src/workers/x.ts', './mapping.js'],
  ['libs/testing/src/x.ts', '#ferry/http'],
  ['libs/contracts/src/x.ts', './common.js'],
  ['libs/contracts/src/x.ts', '#ferry/errors'],
  ['bench/x.ts', '#ferry/auth'],
  ['test/e2e/x.test.ts', '../../apps/scheduler/src/index.js'],
  ['test/e2e/x.test.ts', '../../apps/provider/src/start.js'],
  ['test/e2e/x.test.ts', '../../apps/consumer/src/workers/mapping.js'],
  ['bench/x.ts', '../apps/provider/src/files/generator.js'],
  ['scripts/x.ts', '../apps/consumer/src/config.js'],
  ['test/integration/x.test.ts', '../../apps/scheduler/src/tasks/task-store.js'],
];

describe('layering rules (eslint.config.mjs)', () => {
  it.each(breaches)('%s importing %s is refused: %s', async (file, specifier, because) => {
    const errors = await layeringErrors(file, specifier);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(because);
  });

  it.each(legal)('%s may import %s', async (file, specifier) => {
    expect(await layeringErrors(file, specifier)).toEqual([]);
  });

  it('checks re-exports too', async () => {
    const [result] = await eslint.lintText("export * from '../../consumer/src/start.js';\n", {
      filePath: 'apps/scheduler/src/x.ts',
    });
    expect(result.messages.map((m) => m.ruleId)).toEqual(['no-restricted-imports']);
  });
});

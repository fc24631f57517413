import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { openSchedulerDb } from '../persistence/index.js';
import { schedulerConfigFromEnv } from '../scheduler.config.js';
import { SecretBox } from '../secrets/secret-box.js';
import { resealSecrets } from '../secrets/stored-secrets.js';

const USAGE = `Usage: node dist/apps/scheduler/src/cli/rotate-secrets.js [--check]

Seals every stored secret (auth profiles' secrets and private keys) again under the current key
FERRY_SCHEDULER_SECRET_KEY_ID, opening each with the key its value names in FERRY_SCHEDULER_SECRET_KEYS.
Reads the scheduler's own environment (database, keys). See docs/security.md, "Secrets at rest".

  --check   open every value and report, write nothing
  --help

Exit status: 0 when every value is under the current key (or is now), 1 when some could not be opened
(they are listed and left as they are), 2 on a usage or configuration error.`;

function parse(): { check: boolean } {
  try {
    const { values } = parseArgs({
      options: { check: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    return { check: values.check };
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
}

const { check } = parse();
let config;
try {
  config = schedulerConfigFromEnv();
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
const box = new SecretBox(config.secrets);
const db = await openSchedulerDb(config.db, box);
try {
  const report = await db.tx((em) => resealSecrets(em, box, check));
  const list = (names: string[]) => (names.length ? names.join(', ') : '(none)');
  const out = [
    `${check ? 'To seal' : 'Sealed'} again under key "${box.keyId}": ${list(report.resealed)}`,
    `Already under key "${box.keyId}": ${list(report.current)}`,
    ...report.failed.map((f) => `Not re-sealed, left as it is: auth profile "${f.name}": ${f.problem}`),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  process.exitCode = report.failed.length ? 1 : 0;
} finally {
  await db.close();
}

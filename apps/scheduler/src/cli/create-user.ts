import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { OPERATOR_ROLES, type OperatorRole } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { UsersService } from '../accounts/users.service.js';
import { commandLineActor } from '../audit/actor.js';
import { AuditLog } from '../audit/audit-log.js';
import { openSchedulerDb } from '../persistence/index.js';
import { schedulerConfigFromEnv } from '../scheduler.config.js';
import { SecretBox } from '../secrets/secret-box.js';

const USAGE = `Usage: node dist/apps/scheduler/src/cli/create-user.js --username <name> --role <viewer|operator|admin>

Creates an operator account of the portal in the scheduler's database (the first admin, typically:
there is no default account). The password is read from FERRY_NEW_USER_PASSWORD, else from the
standard input (one line), so that it appears in neither the command line nor the shell's history;
at least 12 characters. Reads the scheduler's own environment (database). The creation is audited
as done by "cli:create-user". See README.md, "The first admin".

Exit status: 0 created, 1 refused (the user exists, a weak password), 2 on a usage or configuration error.`;

function parse(): { username: string; role: OperatorRole } {
  try {
    const { values } = parseArgs({
      options: { username: { type: 'string' }, role: { type: 'string' }, help: { type: 'boolean', default: false } },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    if (!values.username || !OPERATOR_ROLES.includes(values.role as OperatorRole))
      throw new Error('--username and --role (viewer, operator or admin) are required');
    return { username: values.username, role: values.role as OperatorRole };
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
}

async function readPassword(): Promise<string> {
  const fromEnv = process.env.FERRY_NEW_USER_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (process.stdin.isTTY) process.stderr.write('Password (one line): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (process.stdin.isTTY && chunk.toString().includes('\n')) break;
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
}

const { username, role } = parse();
const password = await readPassword();
let config;
try {
  const { FERRY_NEW_USER_PASSWORD: _password, ...env } = process.env;
  config = schedulerConfigFromEnv(env);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
const db = await openSchedulerDb(config.db, new SecretBox(config.secrets));
try {
  const users = new UsersService(db, new AuditLog(db));
  const user = await users.create({ username, role, password }, commandLineActor('create-user'));
  process.stdout.write(`Created ${user.role} "${user.username}"\n`);
} catch (err) {
  const problems = err instanceof ApiError ? [err.message, ...err.details.map((d) => `${d.path} ${d.problem}`)] : [];
  process.stderr.write(`${problems.length ? problems.join('\n') : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await db.close();
}

import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { DatabaseConfig } from '#ferry/persistence';
import { createTestDatabase, DEV_MODE_ENV, FakeDownstream, type TestDatabase } from '#ferry/testing';
import { schedulerConfigFromEnv } from '../../apps/scheduler/src/index.js';
import { readTable } from '../support/apps.js';
import { ensureSchedulerBuilt, ROOT } from '../support/build.js';
import {
  definitionBody,
  type SchedulerUnderTest,
  startTestScheduler,
  triggerBody,
  triggerToken,
  waitForGroup,
} from '../support/scheduler.js';

// Finding 7: auth profiles' secrets and private keys are stored encrypted (AES-256-GCM, keys by key id
// from the configuration), answered by no route, logged nowhere (SQL logging on included), refused when
// tampered with, and re-sealed under a new key by the rotation command.

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const HS_SECRET = `hs-${randomBytes(24).toString('hex')}`;
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const PRIVATE_KEY = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const PUBLIC_KEY = ec.publicKey.export({ type: 'spki', format: 'pem' }) as string;
/** What would show a private key in a row, an answer or a log line: its PEM body, however escaped. */
const KEY_BODY = PRIVATE_KEY.split('\n')
  .filter((l) => l && !l.startsWith('-----'))
  .map((l) => l.slice(0, 40));
const SECRETS = [HS_SECRET, ...KEY_BODY];
const SCOPES = ['sync:write', 'sync:read'];

const profile = (name: string, issuer: string, alg: 'HS256' | 'ES256') => ({
  name,
  issuer,
  audience: 'ferry-consumer',
  scopes: SCOPES,
  alg,
  ...(alg === 'HS256' ? { secret: HS_SECRET } : { secret: PRIVATE_KEY, kid: 'es-1' }),
});

const keysEnv = (keys: Record<string, string>, keyId?: string): Record<string, string> => ({
  FERRY_SCHEDULER_SECRET_KEYS: JSON.stringify(keys),
  ...(keyId ? { FERRY_SCHEDULER_SECRET_KEY_ID: keyId } : {}),
});

function expectNoSecret(text: string, where: string): void {
  for (const s of SECRETS) expect({ where, leaked: text.includes(s) }).toEqual({ where, leaked: false });
}

/** Every log line of the scheduler (pino) and anything printed to the console (TypeORM's own loggers print there). */
class Capture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  /** The lines as written, then each JSON line's message unescaped. */
  text(): string {
    const messages = this.lines.map((l) => {
      try {
        return String(JSON.parse(l).msg);
      } catch {
        return l;
      }
    });
    return [...this.lines, ...messages].join('\n');
  }
}

/** A statement run straight on the scheduler's database, as someone with access to it would. */
async function rawExec(db: DatabaseConfig, sql: string, params: unknown[]): Promise<void> {
  if (db.type === 'sqlite') {
    const conn = new Database(db.url);
    try {
      conn.prepare(sql).run(...params);
    } finally {
      conn.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    let i = 0;
    await client.query(
      sql.replace(/\?/g, () => `$${++i}`),
      params,
    );
  } finally {
    await client.end();
  }
}

const storedRows = async (db: DatabaseConfig) =>
  Object.fromEntries(
    (await readTable(db, 'auth_profile', 'name')).map((r) => [String(r.name), JSON.parse(String(r.secret_material))]),
  ) as Record<string, string>;

/** The rotation command, as an operator runs it, with the scheduler's database and keys. */
function rotate(db: DatabaseConfig, env: Record<string, string>, ...args: string[]) {
  const cli = resolve(ROOT, 'dist/apps/scheduler/src/cli/rotate-secrets.js');
  const childEnv = {
    ...DEV_MODE_ENV,
    PATH: process.env.PATH ?? '',
    FERRY_SCHEDULER_DB_TYPE: db.type,
    FERRY_SCHEDULER_DB_URL: db.url,
  };
  return new Promise<{ code: number; out: string }>((done) =>
    execFile(process.execPath, [cli, ...args], { env: { ...childEnv, ...env } }, (err, stdout, stderr) =>
      done({ code: err ? Number(err.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    ),
  );
}

describe.each(['sqlite', 'postgres'] as const)('secrets at rest on %s', (type) => {
  const logs = new Capture();
  let database: TestDatabase;
  let fake: FakeDownstream;
  let s: SchedulerUnderTest | undefined;

  const start = async (env: Record<string, string>) => {
    await s?.close();
    s = await startTestScheduler(type, env, {
      db: database,
      keepDb: true,
      overrides: { observability: { logDestination: logs } },
    });
    // A test scheduler logs errors only; SQL statements are info lines (raised once it runs, not for the boot's).
    s.handle.observability.obs.logger.level = 'info';
  };
  const run = async (definition: string, expected: string) => {
    const posted = await s!.api('POST', '/triggers', triggerBody(definition, 1), triggerToken());
    expect(posted.status).toBe(202);
    return waitForGroup(s!, posted.body.groupRuns[0].id, expected);
  };
  const starts = (groupRun: { tasks: Array<{ id: string }> }) =>
    groupRun.tasks.flatMap((t) => fake.startsFor(t.id)).map((st) => st.principal.clientId);

  beforeAll(async () => {
    await ensureSchedulerBuilt();
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const)
      jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logs.lines.push(args.map(String).join(' '));
      });
    fake = await new FakeDownstream({
      clients: [
        { clientId: 'hs-signer', keys: [{ alg: 'HS256', secret: HS_SECRET }], scopes: SCOPES },
        { clientId: 'es-signer', keys: [{ alg: 'ES256', kid: 'es-1', publicKey: PUBLIC_KEY }], scopes: SCOPES },
      ],
    }).start();
    database = await createTestDatabase(type);
    database.config.logging = true; // FERRY_SCHEDULER_DB_LOGGING: every statement, with its parameters
    await start(keysEnv({ k1: K1 }));
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
    await database?.drop();
    jest.restoreAllMocks();
  });

  it('stores the secret and the private key encrypted, answers neither and logs neither', async () => {
    for (const [name, issuer, alg] of [
      ['hs-signer', 'hs-signer', 'HS256'],
      ['es-signer', 'es-signer', 'ES256'],
    ] as const) {
      const created = await s!.api('POST', '/auth-profiles', profile(name, issuer, alg));
      expect({ status: created.status, hasSecret: created.body.hasSecret }).toEqual({ status: 201, hasSecret: true });
      expectNoSecret(JSON.stringify(created.body), `POST ${name}`);
      expectNoSecret(JSON.stringify((await s!.api('GET', `/auth-profiles/${name}`)).body), `GET ${name}`);
    }
    expectNoSecret(JSON.stringify((await s!.api('GET', '/auth-profiles')).body), 'GET /auth-profiles');

    const rows = await readTable(database.config, 'auth_profile', 'name');
    expect(rows.map((r) => r.name)).toEqual(['es-signer', 'hs-signer']);
    expectNoSecret(JSON.stringify(rows), 'the auth_profile rows');
    const stored = await storedRows(database.config);
    for (const value of Object.values(stored)) expect(value).toMatch(/^v1:k1:[^:]+:[^:]+:[^:]+$/);

    // SQL logging was on and its lines were captured, parameters redacted: not even the ciphertext shows.
    const logged = logs.text();
    expect(logged).toMatch(/INSERT INTO "auth_profile".*PARAMETERS: \[.*\[REDACTED\]/);
    expectNoSecret(logged, 'the logs');
    for (const value of Object.values(stored)) expect(logged).not.toContain(value.split(':')[4]);
  });

  it('signs the dispatches with the stored secret and private key', async () => {
    for (const name of ['hs', 'es']) {
      const defined = await s!.api(
        'POST',
        '/definitions',
        definitionBody(`${name}-def`, [fake.url], { target: { urls: [fake.url], authProfile: `${name}-signer` } }),
      );
      expect(defined.status).toBe(201);
      expect(starts(await run(`${name}-def`, 'SUCCEEDED'))).toEqual([`${name}-signer`]);
    }
  });

  it('refuses a value changed in the database, or moved to another profile, and sends nothing', async () => {
    const stored = await storedRows(database.config);
    const [v, kid, iv, tag, ct] = stored['hs-signer'].split(':');
    const changed = [v, kid, iv, tag, (ct[0] === 'A' ? 'B' : 'A') + ct.slice(1)].join(':');
    const tampered = { tampered: changed, moved: stored['hs-signer'] };
    for (const [name, value] of Object.entries(tampered)) {
      expect((await s!.api('POST', '/auth-profiles', profile(name, 'hs-signer', 'HS256'))).status).toBe(201);
      await rawExec(database.config, 'UPDATE "auth_profile" SET "secret_material" = ? WHERE "name" = ?', [
        JSON.stringify(value),
        name,
      ]);
      const defined = await s!.api(
        'POST',
        '/definitions',
        definitionBody(`${name}-def`, [fake.url], {
          target: { urls: [fake.url], authProfile: name },
          retry: { maxAttempts: 1, initialDelaySeconds: 0.1, factor: 2, maxDelaySeconds: 1 },
        }),
      );
      expect(defined.status).toBe(201);
      const failed = await run(`${name}-def`, 'FAILED');
      expect(starts(failed)).toEqual([]);
      const { code, message } = failed.tasks[0].lastError;
      expect({ code, message }).toEqual({
        code: 'AUTH_PROFILE_UNUSABLE',
        message: `auth profile "${name}" cannot sign: the stored value fails its integrity check under key "k1"`,
      });
      expect((await storedRows(database.config))[name]).toBe(value);
    }
  });

  it('rotates: rows under the old key keep working, the command re-seals them, then the old key can go', async () => {
    await start(keysEnv({ k1: K1, k2: K2 }, 'k2'));
    expect(starts(await run('hs-def', 'SUCCEEDED'))).toEqual(['hs-signer']);
    expect((await s!.api('POST', '/auth-profiles', profile('fresh', 'hs-signer', 'HS256'))).status).toBe(201);
    const before = await storedRows(database.config);
    expect(Object.fromEntries(Object.entries(before).map(([n, v]) => [n, v.split(':')[1]]))).toEqual({
      'es-signer': 'k1',
      fresh: 'k2',
      'hs-signer': 'k1',
      moved: 'k1',
      tampered: 'k1',
    });

    const check = await rotate(database.config, keysEnv({ k1: K1, k2: K2 }, 'k2'), '--check');
    expect(check.out).toContain('To seal again under key "k2": es-signer, hs-signer\n');
    expect(await storedRows(database.config)).toEqual(before);

    const rotated = await rotate(database.config, keysEnv({ k1: K1, k2: K2 }, 'k2'));
    expect(rotated.out).toContain('Sealed again under key "k2": es-signer, hs-signer\n');
    expect(rotated.out).toContain('Already under key "k2": fresh\n');
    // The tampered rows are named and left as they are, and the command says it did not finish.
    expect(rotated.out).toMatch(/Not re-sealed, left as it is: auth profile "moved": .*integrity check/);
    expect(rotated.out).toMatch(/Not re-sealed, left as it is: auth profile "tampered": .*integrity check/);
    expect(rotated.code).toBe(1);
    expectNoSecret(rotated.out, 'the rotation output');
    const after = await storedRows(database.config);
    for (const name of ['es-signer', 'hs-signer', 'fresh']) expect(after[name]).toMatch(/^v1:k2:/);
    expect({ moved: after.moved, tampered: after.tampered }).toEqual({
      moved: before.moved,
      tampered: before.tampered,
    });

    await start(keysEnv({ k2: K2 }));
    for (const name of ['hs', 'es']) expect(starts(await run(`${name}-def`, 'SUCCEEDED'))).toEqual([`${name}-signer`]);
    expectNoSecret(logs.text(), 'the logs');
  });

  it('refuses to boot with a key that is not 32 bytes', () => {
    const short = keysEnv({ k1: randomBytes(16).toString('base64') });
    expect(() => schedulerConfigFromEnv({ ...DEV_MODE_ENV, ...short })).toThrow(
      /FERRY_SCHEDULER_SECRET_KEYS\.k1 must be 32 bytes/,
    );
  });
});

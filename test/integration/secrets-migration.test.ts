import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Db, openDataSource } from '#ferry/persistence';
import { createTestDatabase, type TestDatabase } from '#ferry/testing';
import { AuthProfileEntity, openSchedulerDb, SCHEDULER_ENTITIES } from '../../apps/scheduler/src/persistence/index.js';
import { Initial1764000000000 } from '../../apps/scheduler/src/persistence/migrations/1764000000000-initial.js';
import { Alerts1765000000000 } from '../../apps/scheduler/src/persistence/migrations/1765000000000-alerts.js';
import { SecretBox } from '../../apps/scheduler/src/secrets/secret-box.js';
import { profileSecretContext, readStoredSecrets } from '../../apps/scheduler/src/secrets/stored-secrets.js';

// The upgrade to secrets at rest: auth profiles stored in plaintext by the version before are sealed by
// the migration, once, with the configured key; without the key the migration stops and records nothing.
const SECRET = 'legacy-plaintext-secret-0123456789';
const box = new SecretBox({ keys: { k1: randomBytes(32) }, keyId: 'k1' });

describe.each(['sqlite', 'postgres'] as const)('sealing the plaintext secrets of an older database on %s', (type) => {
  let database: TestDatabase;
  let db: Db | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(type, 2);
    // The schema and a row as the version before secrets at rest left them.
    const before = await openDataSource(database.config, {
      entities: SCHEDULER_ENTITIES,
      migrations: [Initial1764000000000, Alerts1765000000000],
      migrationsTableName: 'scheduler_migrations',
    });
    await before.getRepository(AuthProfileEntity).save({
      name: 'legacy',
      spec: { name: 'legacy', issuer: 'i', audience: 'a', scopes: [], alg: 'HS256', ttlSeconds: 300 },
      secret: SECRET,
      version: 1,
      createdAt: 1,
      updatedAt: 1,
    });
    await before.destroy();
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const stored = async (d: Db) => (await d.run((em) => readStoredSecrets(em)))[0].value;

  it('stops without the keys, leaving the row and the migration undone', async () => {
    await expect(openSchedulerDb(database.config)).rejects.toThrow(/1 auth profile secret\(s\) are stored unencrypted/);
  });

  it('seals the row with the configured key; the value opens in its own profile only', async () => {
    db = await openSchedulerDb(database.config, box);
    const value = await stored(db);
    expect(value).toMatch(/^v1:k1:/);
    expect(value).not.toContain(SECRET);
    expect(box.open(value, profileSecretContext('legacy'))).toBe(SECRET);
    expect(() => box.open(value, profileSecretContext('other'))).toThrow(/integrity check/);
    // The entity reads what the migration wrote (simple-json), as the signer will.
    const row = await db.run((em) => em.getRepository(AuthProfileEntity).findOneByOrFail({ name: 'legacy' }));
    expect(box.open(row.secret, profileSecretContext('legacy'))).toBe(SECRET);
  });

  it('runs once, and its down opens the rows again for a downgrade', async () => {
    await db!.close();
    db = await openSchedulerDb(database.config, box);
    expect(await db.dataSource.showMigrations()).toBe(false);
    const sealed = await stored(db);
    expect(box.open(sealed, profileSecretContext('legacy'))).toBe(SECRET);
    // Down to the state before the sealing migration, newer migrations first.
    const executed = async () => (await db!.dataSource.query('SELECT name FROM scheduler_migrations')) as unknown[];
    while ((await executed()).some((m) => (m as { name: string }).name === 'SealSecrets1766100000000'))
      await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await stored(db)).toBe(SECRET);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { canonicalJson, demoDatasetSpec } from '#ferry/datasets';
import { openDataSource } from '#ferry/persistence';
import { createTestDatabase, TEST_DB_TYPES, type TestDatabase } from '#ferry/testing';
import { CONSUMER_MIGRATIONS } from '../../apps/consumer/src/database.module.js';
import { ConsumerDatasetTables1767000000008 } from '../../apps/consumer/src/migrations/1767000000008-consumer-dataset-tables.js';

const parts = (migrations: typeof CONSUMER_MIGRATIONS) => ({
  entities: [],
  migrations,
  migrationsTableName: 'consumer_migrations',
});

// A consumer upgraded to table ownership: each table it loaded before goes to the dataset stored first,
// so a second dataset that already shared it is refused at its next refresh, not the first.
describe.each(TEST_DB_TYPES)('the con_dataset_tables migration on %s', (dbType) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(dbType);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('gives each existing table to the dataset that stored it first', async () => {
    // The consumer's database as it was just before the migration under test.
    const upTo = CONSUMER_MIGRATIONS.indexOf(ConsumerDatasetTables1767000000008);
    const before = await openDataSource(db.config, parts(CONSUMER_MIGRATIONS.slice(0, upTo)));
    const sharing = demoDatasetSpec('late');
    const rows = [
      demoDatasetSpec('first'),
      { ...sharing, mapping: { ...sharing.mapping, table: demoDatasetSpec('first').mapping.table } },
      demoDatasetSpec('alone'),
    ];
    for (const [i, spec] of rows.entries())
      await before.query(
        dbType === 'postgres'
          ? 'INSERT INTO con_datasets (name, definition, schema_version, fetched_at) VALUES ($1, $2, 1, $3)'
          : 'INSERT INTO con_datasets (name, definition, schema_version, fetched_at) VALUES (?, ?, 1, ?)',
        [spec.name, canonicalJson(spec), 1000 + i],
      );
    await before.destroy();

    const after = await openDataSource(db.config, parts(CONSUMER_MIGRATIONS.slice(0, upTo + 1)));
    const owners = await after.query('SELECT table_name, dataset FROM con_dataset_tables ORDER BY table_name');
    await after.destroy();
    expect(owners).toEqual([
      { table_name: 't_alone', dataset: 'alone' },
      { table_name: 't_first', dataset: 'first' },
    ]);
  });
});

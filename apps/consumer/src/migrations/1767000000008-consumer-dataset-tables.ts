import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';
import type { DatasetSpec } from '#ferry/datasets';
import type { DatabaseType } from '#ferry/persistence';
import { dialect, named } from '#ferry/sql';

/**
 * Which dataset each target table belongs to: the catalog refuses a dataset mapped onto a table that
 * is not its own (another dataset's rows would be overwritten, or purged by its snapshots). Tables
 * created before are given to the dataset stored first; a later one mapped onto the same table is
 * refused at its next refresh.
 */
export class ConsumerDatasetTables1767000000008 implements MigrationInterface {
  name = 'ConsumerDatasetTables1767000000008';

  async up(qr: QueryRunner): Promise<void> {
    await qr.createTable(
      new Table({
        name: 'con_dataset_tables',
        columns: [
          { name: 'table_name', type: 'varchar', length: '30', isPrimary: true },
          { name: 'dataset', type: 'varchar', length: '100' },
          { name: 'created_at', type: 'numeric', precision: 19, scale: 0 },
        ],
      }),
    );
    const sql = (s: string) =>
      dialect(
        named(s, (n) => qr.connection.driver.escape(n)),
        dbType(qr),
      );
    const rows: Array<Record<string, unknown>> = await qr.query(
      sql('SELECT {name}, {definition}, {fetched_at} FROM {con_datasets} ORDER BY {fetched_at}, {name}'),
    );
    const owners = new Map<string, Record<string, unknown>>();
    for (const r of rows) {
      const table = (JSON.parse(String(r.definition)) as DatasetSpec).mapping?.table;
      if (table && !owners.has(table)) owners.set(table, r);
    }
    for (const [table, r] of owners)
      await qr.query(sql('INSERT INTO {con_dataset_tables} ({table_name}, {dataset}, {created_at}) VALUES (?, ?, ?)'), [
        table,
        r.name,
        r.fetched_at,
      ]);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('con_dataset_tables', true);
  }
}

function dbType(qr: QueryRunner): DatabaseType {
  const t = qr.connection.options.type;
  return t === 'better-sqlite3' ? 'sqlite' : (t as DatabaseType);
}

import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { outboxIndex, outboxTable } from '#ferry/outbox';
import { columnTypes, type DatabaseType } from '#ferry/persistence';

const ms = { type: 'numeric', precision: 19, scale: 0 } as const;

export class ProviderInit1767000000001 implements MigrationInterface {
  name = 'ProviderInit1767000000001';

  async up(qr: QueryRunner): Promise<void> {
    const db = dbType(qr);
    const text = columnTypes(db).text;
    await qr.createTable(
      new Table({
        name: 'prv_datasets',
        columns: [
          { name: 'name', type: 'varchar', length: '100', isPrimary: true },
          { name: 'definition', type: text },
          { name: 'schema_version', type: 'integer' },
          { name: 'created_at', ...ms },
          { name: 'updated_at', ...ms },
        ],
      }),
    );
    await qr.createTable(
      new Table({
        name: 'prv_files',
        columns: [
          { name: 'file_id', type: 'varchar', length: '200', isPrimary: true },
          { name: 'dataset', type: 'varchar', length: '100' },
          { name: 'file_name', type: 'varchar', length: '500' },
          { name: 'file_mode', type: 'varchar', length: '16' },
          { name: 'record_count', type: 'integer' },
          { name: 'checksum', type: 'varchar', length: '80', isNullable: true },
          { name: 'schema_version', type: 'integer' },
          { name: 'business_date', type: 'varchar', length: '10', isNullable: true },
          // WRITING while a generator streams records in; only READY files are served.
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'created_at', ...ms },
        ],
      }),
    );
    await qr.createIndex(
      'prv_files',
      new TableIndex({ name: 'ix_prv_files_dataset', columnNames: ['dataset', 'created_at'] }),
    );
    // The primary key (file_id, ordinal) is the index that keyset paging walks.
    await qr.createTable(
      new Table({
        name: 'prv_records',
        columns: [
          { name: 'file_id', type: 'varchar', length: '200', isPrimary: true },
          { name: 'ordinal', type: 'integer', isPrimary: true },
          { name: 'body', type: text },
        ],
      }),
    );
    await qr.createTable(outboxTable('prv_outbox', db));
    await qr.createIndex('prv_outbox', outboxIndex('prv_outbox'));
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of ['prv_outbox', 'prv_records', 'prv_files', 'prv_datasets']) await qr.dropTable(t, true);
  }
}

export function dbType(qr: QueryRunner): DatabaseType {
  const t = qr.connection.options.type;
  return t === 'better-sqlite3' ? 'sqlite' : (t as DatabaseType);
}

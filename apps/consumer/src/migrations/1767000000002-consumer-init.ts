import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { outboxIndex, outboxTable } from '#ferry/outbox';
import { columnTypes, type DatabaseType } from '#ferry/persistence';

const ms = { type: 'numeric', precision: 19, scale: 0 } as const;
const count = (name: string) => ({ name, type: 'integer', default: 0 });

export class ConsumerInit1767000000002 implements MigrationInterface {
  name = 'ConsumerInit1767000000002';

  async up(qr: QueryRunner): Promise<void> {
    const db = dbType(qr);
    const text = columnTypes(db).text;
    await qr.createTable(
      new Table({
        name: 'con_datasets',
        columns: [
          { name: 'name', type: 'varchar', length: '100', isPrimary: true },
          { name: 'definition', type: text },
          { name: 'schema_version', type: 'integer' },
          { name: 'fetched_at', ...ms },
        ],
      }),
    );
    await qr.createTable(
      new Table({
        name: 'con_jobs',
        columns: [
          { name: 'job_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'idem_key', type: 'varchar', length: '200', isUnique: true },
          { name: 'request_hash', type: 'varchar', length: '80' },
          { name: 'task_run_id', type: 'varchar', length: '64' },
          { name: 'dispatch_id', type: 'varchar', length: '64' },
          { name: 'callback_url', type: 'varchar', length: '2000' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'error_code', type: 'varchar', length: '100', isNullable: true },
          { name: 'error_message', type: 'varchar', length: '2000', isNullable: true },
          { name: 'owner', type: 'varchar', length: '200', isNullable: true },
          { name: 'lease_until', ...ms, isNullable: true },
          { name: 'created_at', ...ms },
          { name: 'updated_at', ...ms },
        ],
      }),
    );
    await qr.createIndex(
      'con_jobs',
      new TableIndex({ name: 'ix_con_jobs_status', columnNames: ['status', 'lease_until'] }),
    );
    await qr.createTable(
      new Table({
        name: 'con_job_files',
        columns: [
          { name: 'job_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'file_index', type: 'integer', isPrimary: true },
          { name: 'file_name', type: 'varchar', length: '500' },
          { name: 'dataset', type: 'varchar', length: '100' },
          { name: 'file_id', type: 'varchar', length: '200' },
          { name: 'expected_count', type: 'integer', isNullable: true },
          { name: 'expected_checksum', type: 'varchar', length: '200', isNullable: true },
          { name: 'file_mode', type: 'varchar', length: '16', isNullable: true },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'page_size', type: 'integer' },
          // The checkpoint: the provider cursor of the next page, committed with the page before it.
          { name: 'next_cursor', type: 'varchar', length: '400', isNullable: true },
          { name: 'snapshot_gen', ...ms, isNullable: true },
          count('n_received'),
          count('n_inserted'),
          count('n_updated'),
          count('n_deleted'),
          count('n_unchanged'),
          count('n_rejected'),
          { name: 'checksum', type: 'varchar', length: '80', isNullable: true },
          { name: 'error_code', type: 'varchar', length: '100', isNullable: true },
          { name: 'error_message', type: 'varchar', length: '2000', isNullable: true },
          { name: 'updated_at', ...ms },
        ],
      }),
    );
    await qr.createTable(
      new Table({
        name: 'con_dead_letters',
        columns: [
          { name: 'job_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'file_index', type: 'integer', isPrimary: true },
          { name: 'position', type: 'integer', isPrimary: true },
          { name: 'record', type: text },
          { name: 'reasons', type: text },
          { name: 'created_at', ...ms },
        ],
      }),
    );
    await qr.createTable(outboxTable('con_outbox', db));
    await qr.createIndex('con_outbox', outboxIndex('con_outbox'));
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of ['con_outbox', 'con_dead_letters', 'con_job_files', 'con_jobs', 'con_datasets'])
      await qr.dropTable(t, true);
  }
}

function dbType(qr: QueryRunner): DatabaseType {
  const t = qr.connection.options.type;
  return t === 'better-sqlite3' ? 'sqlite' : (t as DatabaseType);
}

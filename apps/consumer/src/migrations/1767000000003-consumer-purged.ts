import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * Rows a snapshot removed get their own count: they are not records received, so counting them
 * in n_deleted broke received = inserted + updated + deleted + unchanged + rejected.
 */
export class ConsumerPurged1767000000003 implements MigrationInterface {
  name = 'ConsumerPurged1767000000003';

  async up(qr: QueryRunner): Promise<void> {
    await qr.addColumn('con_job_files', new TableColumn({ name: 'n_purged', type: 'integer', default: 0 }));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumn('con_job_files', 'n_purged');
  }
}

import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/**
 * The runs of one business date (`GET /group-runs?businessDate=`, the portal's overview of today, and
 * `GET /task-runs?businessDate=` through its sub-select on group_run), newest first: without it an old
 * or unused date walks the whole history of ix_group_created to find nothing.
 */
const INDEX = new TableIndex({ name: 'ix_group_business_date', columnNames: ['business_date', 'created_at'] });

export class BusinessDate1769650000000 implements MigrationInterface {
  name = 'BusinessDate1769650000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex('group_run', INDEX);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('group_run', INDEX.name!);
  }
}

import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { columnKinds } from './columns.js';

/**
 * Dependency triggers (docs/contract-additions.md, "Dependencies"): each definition's upstreams, the triggers
 * held until they succeed, and an index for "has U a SUCCEEDED run for date D".
 */
export class Dependencies1770100000000 implements MigrationInterface {
  name = 'Dependencies1770100000000';

  async up(q: QueryRunner): Promise<void> {
    const { str, ms } = columnKinds(q);
    await q.createTable(
      new Table({
        name: 'definition_dependency',
        columns: [
          { ...str('definition_id', 36), isPrimary: true },
          { ...str('upstream_name', 100), isPrimary: true },
          str('policy', 24),
        ],
        indices: [{ name: 'ix_dependency_upstream', columnNames: ['upstream_name'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'dependency_wait',
        columns: [
          { ...str('trigger_id', 36), isPrimary: true },
          { ...str('definition_id', 36), isPrimary: true },
          str('business_date', 10),
          ms('created_at'),
        ],
        indices: [{ name: 'ix_wait_definition_date', columnNames: ['definition_id', 'business_date'] }],
      }),
    );
    await q.createIndex(
      'group_run',
      new TableIndex({ name: 'ix_group_definition_date', columnNames: ['definition_id', 'business_date'] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('group_run', 'ix_group_definition_date');
    await q.dropTable('dependency_wait');
    await q.dropTable('definition_dependency');
  }
}

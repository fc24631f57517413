import { type MigrationInterface, type QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * Definitions archived instead of deleted (`archived_at`), and every version of each definition's spec
 * (`definition_version`), the stored definitions' current versions copied in as their first entries.
 */
export class DefinitionVersions1769300000000 implements MigrationInterface {
  name = 'DefinitionVersions1769300000000';

  async up(q: QueryRunner): Promise<void> {
    const oracle = q.connection.options.type === 'oracle';
    const ms = (name: string, isNullable = false) =>
      new TableColumn({ name, type: 'numeric', precision: 19, scale: 0, isNullable });
    await q.addColumn('definition', ms('archived_at', true));
    await q.createTable(
      new Table({
        name: 'definition_version',
        columns: [
          { name: 'definition_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'version', type: 'integer', isPrimary: true },
          { name: 'spec', type: oracle ? 'clob' : 'text' },
          ms('created_at'),
        ],
      }),
    );
    await q.query(
      'INSERT INTO definition_version (definition_id, version, spec, created_at) ' +
        'SELECT id, version, spec, updated_at FROM definition',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('definition_version');
    await q.dropColumn('definition', 'archived_at');
  }
}

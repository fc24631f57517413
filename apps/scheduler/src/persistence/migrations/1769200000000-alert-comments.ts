import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/** An alert silenced for a while (`POST /alerts/{id}/silence`), and the comments operators leave on it. */
export class AlertComments1769200000000 implements MigrationInterface {
  name = 'AlertComments1769200000000';

  async up(q: QueryRunner): Promise<void> {
    const oracle = q.connection.options.type === 'oracle';
    await q.addColumns('alert', [
      new TableColumn({ name: 'silenced_until', type: 'numeric', precision: 19, scale: 0, isNullable: true }),
      new TableColumn({ name: 'comments', type: oracle ? 'clob' : 'text', isNullable: true }),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('alert', 'comments');
    await q.dropColumn('alert', 'silenced_until');
  }
}

import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/** A replayed trigger (`POST /triggers/{id}/replay`): when, and what the replay created (null: never replayed). */
export class TriggerReplay1769100000000 implements MigrationInterface {
  name = 'TriggerReplay1769100000000';

  async up(q: QueryRunner): Promise<void> {
    const oracle = q.connection.options.type === 'oracle';
    await q.addColumns('trigger_message', [
      new TableColumn({ name: 'replayed_at', type: 'numeric', precision: 19, scale: 0, isNullable: true }),
      new TableColumn({ name: 'replay_answer', type: oracle ? 'clob' : 'text', isNullable: true }),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('trigger_message', 'replay_answer');
    await q.dropColumn('trigger_message', 'replayed_at');
  }
}

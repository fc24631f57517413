import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { outboxKeyIndex } from '#ferry/outbox';

/**
 * Bounds (docs/security.md): a trigger's payload summary, which lists show instead of the payload
 * (null on older triggers: summarised when read); and the alert outbox's index by key, with which the
 * database picks each key's next message (a bounded read instead of every pending row).
 */
export class Bounds1768000000000 implements MigrationInterface {
  name = 'Bounds1768000000000';

  async up(q: QueryRunner): Promise<void> {
    const type = q.connection.options.type;
    await q.addColumn(
      'trigger_message',
      new TableColumn({ name: 'payload_summary', type: type === 'oracle' ? 'clob' : 'text', isNullable: true }),
    );
    await q.createIndex('alert_outbox', outboxKeyIndex('alert_outbox'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('alert_outbox', outboxKeyIndex('alert_outbox').name!);
    await q.dropColumn('trigger_message', 'payload_summary');
  }
}

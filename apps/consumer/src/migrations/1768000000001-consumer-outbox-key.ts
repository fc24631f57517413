import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxKeyIndex } from '#ferry/outbox';

/** The outbox's index by key, with which the database picks each key's next message (a bounded read). */
export class ConsumerOutboxKey1768000000001 implements MigrationInterface {
  name = 'ConsumerOutboxKey1768000000001';

  async up(qr: QueryRunner): Promise<void> {
    await qr.createIndex('con_outbox', outboxKeyIndex('con_outbox'));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropIndex('con_outbox', outboxKeyIndex('con_outbox').name!);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxKeyIndex } from '#ferry/outbox';

/** The outbox's index by key, with which the database picks each key's next message (a bounded read). */
export class ProviderOutboxKey1768000000002 implements MigrationInterface {
  name = 'ProviderOutboxKey1768000000002';

  async up(qr: QueryRunner): Promise<void> {
    await qr.createIndex('prv_outbox', outboxKeyIndex('prv_outbox'));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropIndex('prv_outbox', outboxKeyIndex('prv_outbox').name!);
  }
}

import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/** The retention purge (maintenance/retention.ts) reads the oldest triggers and alerts first, by these. */
const INDEXES: Array<[string, TableIndex]> = [
  ['trigger_message', new TableIndex({ name: 'ix_trigger_received', columnNames: ['received_at'] })],
  ['alert', new TableIndex({ name: 'ix_alert_last', columnNames: ['last_at'] })],
];

export class Retention1769400000000 implements MigrationInterface {
  name = 'Retention1769400000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, index] of INDEXES) await q.createIndex(table, index);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, index] of INDEXES) await q.dropIndex(table, index.name!);
  }
}

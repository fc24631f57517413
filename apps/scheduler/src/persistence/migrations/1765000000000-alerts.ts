import { type MigrationInterface, type QueryRunner, Table, TableIndex, type TableColumnOptions } from 'typeorm';
import { outboxIndex, outboxTable } from '#ferry/outbox';
import type { DatabaseType } from '#ferry/persistence';

/** Alerts (one row per run and kind), their delivery outbox, and the index the group overdue sweep reads. */
export class Alerts1765000000000 implements MigrationInterface {
  name = 'Alerts1765000000000';

  async up(q: QueryRunner): Promise<void> {
    const type = q.connection.options.type;
    const db: DatabaseType = type === 'better-sqlite3' ? 'sqlite' : (type as DatabaseType);
    const str = (name: string, length: number, isNullable = false): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable,
    });
    const ms = (name: string, isNullable = false): TableColumnOptions => ({
      name,
      type: 'numeric',
      precision: 19,
      scale: 0,
      isNullable,
    });
    const text = (name: string, isNullable = false): TableColumnOptions => ({
      name,
      type: db === 'oracle' ? 'clob' : 'text',
      isNullable,
    });

    await q.createTable(
      new Table({
        name: 'alert',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('dedup_key', 120),
          str('kind', 30),
          str('status', 12),
          str('group_run_id', 36, true),
          str('trigger_id', 36, true),
          str('task_run_id', 36, true),
          str('definition_id', 36, true),
          str('definition_name', 100, true),
          str('message', 2000),
          text('detail', true),
          { name: 'occurrences', type: 'integer' },
          ms('first_at'),
          ms('last_at'),
          ms('notified_at', true),
          ms('acked_at', true),
          str('acked_by', 200, true),
          ms('resolved_at', true),
          { name: 'version', type: 'integer' },
        ],
        indices: [
          // The dedup guarantee: one alert per (run, kind), however many instances raise it at once.
          { name: 'ux_alert_dedup', columnNames: ['dedup_key'], isUnique: true },
          { name: 'ix_alert_status', columnNames: ['status', 'first_at'] },
          { name: 'ix_alert_first', columnNames: ['first_at', 'id'] },
          { name: 'ix_alert_group', columnNames: ['group_run_id'] },
        ],
      }),
    );
    await q.createTable(outboxTable('alert_outbox', db));
    await q.createIndex('alert_outbox', outboxIndex('alert_outbox'));
    // The group overdue sweep reads RUNNING groups past their deadline only: its cost follows that set.
    await q.createIndex(
      'group_run',
      new TableIndex({ name: 'ix_group_deadline', columnNames: ['status', 'deadline_at'] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('group_run', 'ix_group_deadline');
    await q.dropTable('alert_outbox');
    await q.dropTable('alert');
  }
}

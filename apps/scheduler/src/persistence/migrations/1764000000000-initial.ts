import { type MigrationInterface, type QueryRunner, Table, type TableColumnOptions } from 'typeorm';

/** The scheduler's schema, written with portable types so the same migration runs on SQLite, PostgreSQL and Oracle. */
export class Initial1764000000000 implements MigrationInterface {
  name = 'Initial1764000000000';

  async up(q: QueryRunner): Promise<void> {
    const oracle = q.connection.options.type === 'oracle';
    const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: name === 'id' });
    const str = (name: string, length: number, isNullable = false): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable,
    });
    const int = (name: string): TableColumnOptions => ({ name, type: 'integer' });
    const ms = (name: string, isNullable = false): TableColumnOptions => ({
      name,
      type: 'numeric',
      precision: 19,
      scale: 0,
      isNullable,
    });
    const text = (name: string, isNullable = false): TableColumnOptions => ({
      name,
      type: oracle ? 'clob' : 'text',
      isNullable,
    });

    await q.createTable(
      new Table({
        name: 'definition',
        columns: [
          id(),
          str('name', 100),
          int('enabled'),
          int('version'),
          text('spec'),
          ms('created_at'),
          ms('updated_at'),
        ],
        indices: [{ name: 'ux_definition_name', columnNames: ['name'], isUnique: true }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'definition_binding',
        columns: [id(), str('definition_id', 36), str('source', 200), str('event_name', 200)],
        indices: [
          { name: 'ix_binding_source_event', columnNames: ['source', 'event_name'] },
          { name: 'ix_binding_definition', columnNames: ['definition_id'] },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'auth_profile',
        columns: [
          { ...str('name', 100), isPrimary: true },
          text('spec'),
          text('secret_material'),
          int('version'),
          ms('created_at'),
          ms('updated_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'trigger_message',
        columns: [
          id(),
          str('source', 200, true),
          str('message_id', 200, true),
          str('event_name', 200, true),
          str('business_date', 10, true),
          str('status', 12),
          str('reason', 2000, true),
          str('via', 8),
          text('payload'),
          text('answer', true),
          ms('received_at'),
        ],
        // The dedup guarantee: one trigger per (source, messageId), however concurrently it arrives.
        indices: [
          { name: 'ux_trigger_source_msg', columnNames: ['source', 'message_id'], isUnique: true },
          { name: 'ix_trigger_status', columnNames: ['status', 'received_at'] },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'group_run',
        columns: [
          id(),
          str('trigger_id', 36, true),
          str('definition_id', 36),
          str('definition_name', 100),
          str('run_mode', 5),
          str('status', 12),
          str('business_date', 10, true),
          text('spec'),
          int('tasks_total'),
          int('tasks_succeeded'),
          int('tasks_failed'),
          int('tasks_cancelled'),
          int('tasks_skipped'),
          ms('deadline_at', true),
          int('overdue'),
          int('version'),
          ms('created_at'),
          ms('updated_at'),
          ms('finished_at', true),
        ],
        indices: [
          { name: 'ix_group_created', columnNames: ['created_at', 'id'] },
          { name: 'ix_group_status', columnNames: ['status', 'created_at'] },
          { name: 'ix_group_definition', columnNames: ['definition_id', 'created_at'] },
          { name: 'ix_group_trigger', columnNames: ['trigger_id'] },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'task_run',
        columns: [
          id(),
          str('group_run_id', 36),
          int('seq'),
          text('file'),
          str('status', 12),
          int('attempt'),
          int('max_attempts'),
          str('dispatch_id', 36, true),
          str('target_url', 500, true),
          str('downstream_job', 200, true),
          ms('ready_at', true),
          ms('dispatched_at', true),
          ms('next_at', true),
          ms('reported_at', true),
          text('progress', true),
          text('reconciliation', true),
          str('recon_status', 10, true),
          text('recon_problems', true),
          text('last_error', true),
          int('overdue'),
          ms('deadline_at', true),
          int('version'),
          ms('created_at'),
          ms('updated_at'),
          ms('finished_at', true),
        ],
        indices: [
          { name: 'ux_task_group_seq', columnNames: ['group_run_id', 'seq'], isUnique: true },
          // Sweeps (reconciler, overdue) read live tasks only: their cost follows the live set, not history.
          { name: 'ix_task_status', columnNames: ['status', 'deadline_at'] },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'task_event',
        columns: [
          id(),
          str('task_run_id', 36),
          str('from_status', 12, true),
          str('to_status', 12),
          str('actor', 12),
          str('reason', 40, true),
          str('dispatch_id', 36, true),
          text('detail', true),
          ms('at'),
        ],
        indices: [{ name: 'ix_event_task', columnNames: ['task_run_id', 'at'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'task_event',
      'task_run',
      'group_run',
      'trigger_message',
      'auth_profile',
      'definition_binding',
      'definition',
    ]) {
      await q.dropTable(t);
    }
  }
}

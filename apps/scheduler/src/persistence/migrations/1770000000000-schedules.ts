import { type MigrationInterface, type QueryRunner, Table, type TableColumnOptions } from 'typeorm';

/** Time triggers (docs/contract-additions.md, "Schedules"): each scheduled definition's next fire, and calendars. */
export class Schedules1770000000000 implements MigrationInterface {
  name = 'Schedules1770000000000';

  async up(q: QueryRunner): Promise<void> {
    const oracle = q.connection.options.type === 'oracle';
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
    const text = (name: string, isNullable = true): TableColumnOptions => ({
      name,
      type: oracle ? 'clob' : 'text',
      isNullable,
    });

    await q.createTable(
      new Table({
        name: 'definition_schedule',
        columns: [
          { ...str('definition_id', 36), isPrimary: true },
          ms('next_fire_at', true),
          ms('paused_at', true),
          ms('last_fire_at', true),
          text('queued'),
          str('spec_key', 1000),
          { name: 'version', type: 'integer' },
          ms('updated_at'),
        ],
        indices: [{ name: 'ix_schedule_next', columnNames: ['next_fire_at'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'calendar',
        columns: [
          { ...str('name', 100), isPrimary: true },
          text('spec', false),
          { name: 'version', type: 'integer' },
          ms('created_at'),
          ms('updated_at'),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('calendar');
    await q.dropTable('definition_schedule');
  }
}

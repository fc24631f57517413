import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';
import { columnKinds } from './columns.js';

/** Time triggers (docs/contract-additions.md, "Schedules"): each scheduled definition's next fire, and calendars. */
export class Schedules1770000000000 implements MigrationInterface {
  name = 'Schedules1770000000000';

  async up(q: QueryRunner): Promise<void> {
    const { str, ms, text, int } = columnKinds(q);
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
          int('version'),
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
          int('version'),
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

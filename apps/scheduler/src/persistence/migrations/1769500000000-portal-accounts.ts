import { type MigrationInterface, type QueryRunner, Table, type TableColumnOptions } from 'typeorm';

/**
 * The operators' portal (docs/security.md, "Operators' portal"): operator accounts, their server-side
 * sessions, and the audit log every admin change writes in its own transaction.
 */
export class PortalAccounts1769500000000 implements MigrationInterface {
  name = 'PortalAccounts1769500000000';

  async up(q: QueryRunner): Promise<void> {
    const oracle = q.connection.options.type === 'oracle';
    const str = (name: string, length: number, isNullable = false): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable,
    });
    const ms = (name: string): TableColumnOptions => ({ name, type: 'numeric', precision: 19, scale: 0 });
    const text = (name: string): TableColumnOptions => ({ name, type: oracle ? 'clob' : 'text', isNullable: true });

    await q.createTable(
      new Table({
        name: 'operator_user',
        columns: [
          { ...str('username', 100), isPrimary: true },
          str('role', 12),
          str('password_hash', 200),
          { name: 'disabled', type: 'integer' },
          ms('created_at'),
          ms('updated_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'operator_session',
        columns: [
          // The cookie's value hashed: a copy of the table opens no session.
          { ...str('id', 64), isPrimary: true },
          str('username', 100),
          str('csrf_token', 64),
          ms('created_at'),
          ms('last_seen_at'),
          ms('expires_at'),
        ],
        indices: [{ name: 'ix_operator_session_user', columnNames: ['username'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'audit_event',
        columns: [
          { ...str('id', 36), isPrimary: true },
          ms('at'),
          str('actor', 200),
          str('client_id', 100),
          str('action', 60),
          str('object_type', 40),
          str('object_id', 200, true),
          text('before_state'),
          text('after_state'),
          text('detail'),
        ],
        indices: [
          { name: 'ix_audit_at', columnNames: ['at', 'id'] },
          { name: 'ix_audit_actor', columnNames: ['actor', 'at'] },
          { name: 'ix_audit_action', columnNames: ['action', 'at'] },
          { name: 'ix_audit_object', columnNames: ['object_type', 'object_id', 'at'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audit_event');
    await q.dropTable('operator_session');
    await q.dropTable('operator_user');
  }
}

import { Table, TableIndex } from 'typeorm';
import { columnTypes, type DatabaseType } from '#ferry/persistence';

/** The outbox table, the same shape in every app that has one (migrations call this). */
export function outboxTable(name: string, db: DatabaseType): Table {
  const t = columnTypes(db);
  return new Table({
    name,
    columns: [
      { name: 'id', type: 'varchar', length: '36', isPrimary: true },
      { name: 'seq', type: 'numeric', precision: 19, scale: 0 },
      { name: 'msg_key', type: 'varchar', length: '200' },
      { name: 'kind', type: 'varchar', length: '40' },
      { name: 'url', type: 'varchar', length: '2000' },
      { name: 'payload', type: t.text },
      { name: 'attempts', type: 'integer', default: 0 },
      { name: 'next_at', type: 'numeric', precision: 19, scale: 0 },
      { name: 'state', type: 'varchar', length: '16' },
      { name: 'last_error', type: 'varchar', length: '1000', isNullable: true },
      { name: 'created_at', type: 'numeric', precision: 19, scale: 0 },
      { name: 'delivered_at', type: 'numeric', precision: 19, scale: 0, isNullable: true },
    ],
  });
}

export function outboxIndex(name: string): TableIndex {
  return new TableIndex({ name: `ix_${name}_state`, columnNames: ['state', 'seq'] });
}

/**
 * (msg_key, state, seq): whether an older message of a row's key is still pending, which `due` asks
 * of every candidate so that the database, not the app, picks each key's next message.
 */
export function outboxKeyIndex(name: string): TableIndex {
  return new TableIndex({ name: `ix_${name}_key`, columnNames: ['msg_key', 'state', 'seq'] });
}

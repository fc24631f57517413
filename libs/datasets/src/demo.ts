import type { DatasetSpec } from './dataset.js';

/**
 * The demo dataset (used by the generator CLI, the demo, the benchmark and the tests): every
 * mapping operation appears once — rename, cast, default, constant and drop.
 */
export function demoDatasetSpec(name = 'customers'): DatasetSpec {
  return {
    name,
    schema: {
      type: 'object',
      required: ['id', 'name', 'balance', 'active', 'updatedAt'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', pattern: '^c-[0-9]+$' },
        name: { type: 'string', minLength: 1, maxLength: 200 },
        email: { type: 'string', maxLength: 200 },
        balance: { type: 'integer' },
        active: { type: 'boolean' },
        tier: { type: 'string', enum: ['standard', 'gold', 'platinum'] },
        updatedAt: { type: 'string', format: 'date-time' },
        note: { type: 'string' },
      },
    },
    key: ['id'],
    mapping: {
      table: `t_${name.replace(/[^a-z0-9]/g, '_')}`.slice(0, 30),
      columns: [
        { name: 'customer_id', from: 'id', type: 'string' },
        { name: 'full_name', from: 'name', type: 'string' },
        { name: 'email', type: 'string' },
        { name: 'balance_cents', from: 'balance', type: 'integer' },
        { name: 'active', type: 'boolean' },
        { name: 'tier', type: 'string', default: 'standard' },
        { name: 'updated_at', from: 'updatedAt', type: 'timestamp' },
        { name: 'origin', type: 'string', constant: 'ferry-demo' },
      ],
      drop: ['note'],
    },
  };
}

const TIERS = ['standard', 'gold', 'platinum'];

/** Record `i` of the demo dataset; a different `version` changes the mutable fields. */
export function demoRecord(i: number, version = 0): Record<string, unknown> {
  const r: Record<string, unknown> = {
    id: `c-${i}`,
    name: `Customer ${i}`,
    balance: (i * 7919 + version * 13) % 1_000_000,
    active: (i + version) % 3 !== 0,
    updatedAt: new Date(Date.UTC(2026, 0, 1) + i * 1000 + version * 86_400_000).toISOString(),
  };
  if (i % 4 !== 0) r.email = `customer${i}@example.com`;
  if (i % 5 !== 0) r.tier = TIERS[(i + version) % 3];
  if (i % 10 === 0) r.note = 'left out by the mapping';
  return r;
}

/** A record that fails the demo schema (balance not an integer). */
export function demoInvalidRecord(i: number): Record<string, unknown> {
  return { ...demoRecord(i), balance: 'not-a-number' };
}

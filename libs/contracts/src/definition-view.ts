import { instant, pageSchema } from './common.js';
import { authProfileSchema, definitionSpecSchema } from './definition.js';

/** What the admin API answers for definitions and auth profiles: the spec as stored, with its bookkeeping. */
const { version: _version, ...specProperties } = definitionSpecSchema.properties;

export const definitionSchema = {
  type: 'object',
  required: [
    'id',
    'version',
    'createdAt',
    'updatedAt',
    'name',
    'bindings',
    'mode',
    'target',
    'pollIntervalSeconds',
    'retry',
    'attemptTimeoutSeconds',
    'enabled',
    'archivedAt',
  ],
  properties: {
    id: { type: 'string' },
    version: { type: 'integer', minimum: 1, description: 'Send it back with a PUT; another one gets 409' },
    createdAt: instant,
    updatedAt: instant,
    archivedAt: {
      type: ['string', 'null'],
      format: 'date-time',
      description: 'When it was archived: it matches no trigger and is listed only with `archived=true`; null: not',
    },
    ...specProperties,
  },
} as const;

/** An auth profile without its secret, which is write-only. */
const { secret: _secret, ...profileProperties } = authProfileSchema.properties;

export const authProfileViewSchema = {
  type: 'object',
  required: [
    'name',
    'issuer',
    'audience',
    'scopes',
    'ttlSeconds',
    'alg',
    'version',
    'hasSecret',
    'createdAt',
    'updatedAt',
  ],
  properties: {
    ...profileProperties,
    version: { type: 'integer', minimum: 1 },
    hasSecret: { const: true },
    createdAt: instant,
    updatedAt: instant,
  },
} as const;

export const definitionPageSchema = pageSchema(definitionSchema);
export const authProfilePageSchema = pageSchema(authProfileViewSchema);

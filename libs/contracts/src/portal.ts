import { instant, nullable, pageSchema } from './common.js';

/** The portal's roles (docs/contract-additions.md): each grants the scopes of the one before and more. */
export type OperatorRole = 'viewer' | 'operator' | 'admin';
export const OPERATOR_ROLES: readonly OperatorRole[] = ['viewer', 'operator', 'admin'];

const username = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]*$' } as const;
// Long enough to resist guessing; the upper bound keeps a hash request from becoming a denial of service.
const password = { type: 'string', minLength: 12, maxLength: 200, writeOnly: true } as const;
const role = { enum: ['viewer', 'operator', 'admin'] } as const;

/** `POST /api/v1/session`. */
export interface LoginRequest {
  username: string;
  password: string;
}

export const loginSchema = {
  type: 'object',
  required: ['username', 'password'],
  additionalProperties: false,
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 100 },
    password: { type: 'string', minLength: 1, maxLength: 200, writeOnly: true },
  },
} as const;

/** The answer of `POST` and `GET /api/v1/session`. */
export interface SessionView {
  user: { username: string; role: OperatorRole };
  scopes: string[];
  /** Sent back as the `x-csrf-token` header on every state-changing request made with the cookie. */
  csrfToken: string;
}

export const sessionSchema = {
  type: 'object',
  required: ['user', 'scopes', 'csrfToken'],
  properties: {
    user: { type: 'object', required: ['username', 'role'], properties: { username: { type: 'string' }, role } },
    scopes: { type: 'array', items: { type: 'string' } },
    csrfToken: { type: 'string', description: 'The `x-csrf-token` header of state-changing requests' },
  },
} as const;

/** An operator account as the users API shows it (never its password). */
export interface UserView {
  username: string;
  role: OperatorRole;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export const userSchema = {
  type: 'object',
  required: ['username', 'role', 'disabled', 'createdAt', 'updatedAt'],
  properties: {
    username: { type: 'string' },
    role,
    disabled: { type: 'boolean' },
    createdAt: instant,
    updatedAt: instant,
  },
} as const;

export const userListSchema = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: userSchema } },
} as const;

export const newUserSchema = {
  type: 'object',
  required: ['username', 'role', 'password'],
  additionalProperties: false,
  properties: { username, role, password },
} as const;

export const userUpdateSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { role, password, disabled: { type: 'boolean' } },
} as const;

/** One change made through the admin API, or one login (`GET /api/v1/audit`). */
export interface AuditEventView {
  id: string;
  at: string;
  /** The principal's subject: `user:<username>` for a portal session, a service token's subject otherwise. */
  actor: string;
  clientId: string;
  action: string;
  objectType: string;
  objectId: string | null;
  before: unknown;
  after: unknown;
  detail: unknown;
}

export const auditEventSchema = {
  type: 'object',
  required: ['id', 'at', 'actor', 'clientId', 'action', 'objectType', 'objectId', 'before', 'after', 'detail'],
  properties: {
    id: { type: 'string' },
    at: instant,
    actor: { type: 'string', description: '`user:<username>` for a portal session, else the token’s subject' },
    clientId: { type: 'string', description: '`portal` for a portal session, else the token’s client' },
    action: { type: 'string', description: 'e.g. `definition.update`, `session.login`, `session.login-failed`' },
    objectType: { type: 'string' },
    objectId: nullable('string'),
    before: { description: 'The object before the change (null when created); secrets are never in it' },
    after: { description: 'The object after the change (null when removed); secrets are never in it' },
    detail: { description: 'What else matters (e.g. the caller’s address for a login)' },
  },
} as const;

export const auditEventPageSchema = pageSchema(auditEventSchema);

export type RunMode = 'SYNC' | 'ASYNC';

export interface RetryPolicy {
  maxAttempts: number;
  initialDelaySeconds: number;
  factor: number;
  maxDelaySeconds: number;
}

export type Deadline = { afterTriggerMinutes: number } | { cutoff: string; timeZone: string };

export interface DefinitionSpec {
  name: string;
  description?: string;
  bindings: Array<{ source: string; event: string }>;
  mode: RunMode;
  target: { urls: string[]; authProfile?: string };
  pollIntervalSeconds: number;
  retry: RetryPolicy;
  attemptTimeoutSeconds: number;
  deadline?: Deadline;
  enabled: boolean;
}

export interface Definition extends DefinitionSpec {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export const DEFINITION_DEFAULTS = {
  pollIntervalSeconds: 30,
  retry: { maxAttempts: 3, initialDelaySeconds: 10, factor: 2, maxDelaySeconds: 600 },
  attemptTimeoutSeconds: 3600,
  enabled: true,
} as const;

const binding = {
  type: 'object',
  required: ['source', 'event'],
  additionalProperties: false,
  properties: { source: { type: 'string', minLength: 1, maxLength: 200 }, event: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

export const definitionSpecSchema = {
  type: 'object',
  required: ['name', 'bindings', 'mode', 'target'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 100 },
    description: { type: 'string', maxLength: 1000 },
    bindings: { type: 'array', minItems: 1, maxItems: 50, items: binding },
    mode: { enum: ['SYNC', 'ASYNC'] },
    target: {
      type: 'object',
      required: ['urls'],
      additionalProperties: false,
      properties: {
        urls: { type: 'array', minItems: 1, maxItems: 50, items: { type: 'string', format: 'uri', pattern: '^https?://' } },
        authProfile: { type: 'string', minLength: 1, maxLength: 100 },
      },
    },
    pollIntervalSeconds: { type: 'number', minimum: 0.05, maximum: 86400 },
    retry: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxAttempts: { type: 'integer', minimum: 1, maximum: 100 },
        initialDelaySeconds: { type: 'number', minimum: 0, maximum: 86400 },
        factor: { type: 'number', minimum: 1, maximum: 10 },
        maxDelaySeconds: { type: 'number', minimum: 0, maximum: 86400 },
      },
    },
    attemptTimeoutSeconds: { type: 'number', minimum: 0.1, maximum: 604800 },
    deadline: {
      oneOf: [
        { type: 'object', required: ['afterTriggerMinutes'], additionalProperties: false, properties: { afterTriggerMinutes: { type: 'number', exclusiveMinimum: 0 } } },
        {
          type: 'object',
          required: ['cutoff', 'timeZone'],
          additionalProperties: false,
          properties: { cutoff: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }, timeZone: { type: 'string', minLength: 1 } },
        },
      ],
    },
    enabled: { type: 'boolean' },
    version: { type: 'integer', minimum: 1 },
  },
} as const;

export interface AuthProfileSpec {
  name: string;
  issuer: string;
  audience: string;
  scopes: string[];
  ttlSeconds: number;
  alg: 'HS256' | 'RS256' | 'ES256';
  kid?: string;
  /** Write-only: HS256 secret or a PEM private key. */
  secret?: string;
}

export const authProfileSchema = {
  type: 'object',
  required: ['name', 'issuer', 'audience', 'scopes', 'alg', 'secret'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 100 },
    issuer: { type: 'string', minLength: 1, maxLength: 200 },
    audience: { type: 'string', minLength: 1, maxLength: 200 },
    scopes: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 100 }, maxItems: 50 },
    ttlSeconds: { type: 'integer', minimum: 10, maximum: 86400 },
    alg: { enum: ['HS256', 'RS256', 'ES256'] },
    kid: { type: 'string', minLength: 1, maxLength: 100 },
    secret: { type: 'string', minLength: 16, maxLength: 10000 },
  },
} as const;

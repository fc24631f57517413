import { type FileRef, fileRefSchema } from './common.js';
import { type ScheduleSpec, scheduleSchema } from './schedule.js';

export type RunMode = 'SYNC' | 'ASYNC';

export interface RetryPolicy {
  maxAttempts: number;
  initialDelaySeconds: number;
  factor: number;
  maxDelaySeconds: number;
}

/** ALERT (the default) raises an OVERDUE alert and lets the run go on; FAIL also fails its live tasks. */
export type DeadlineAction = 'ALERT' | 'FAIL';

export type Deadline = ({ afterTriggerMinutes: number } | { cutoff: string; timeZone: string }) & {
  action?: DeadlineAction;
};

/** Where a definition's alerts go; without it, the scheduler's configured default channels. */
export type AlertChannel =
  { type: 'log' } | { type: 'webhook'; url: string; format?: 'json' | 'slack' } | { type: 'email'; to: string[] };

export interface AlertSettings {
  channels?: AlertChannel[];
  /** A (run, kind) raised again within this window notifies nobody again. */
  silenceMinutes?: number;
}

/** ONCE_PER_DATE: one run per business date; EVERY_UPSTREAM_SUCCESS: again whenever this upstream succeeds again for it. */
export type DependencyPolicy = 'ONCE_PER_DATE' | 'EVERY_UPSTREAM_SUCCESS';

export interface Dependency {
  /** The upstream definition's name. */
  definition: string;
  policy?: DependencyPolicy;
}

export interface DefinitionSpec {
  name: string;
  description?: string;
  /** The (source, event) pairs whose messages start it; may be empty when it has a schedule or dependencies. */
  bindings: Array<{ source: string; event: string }>;
  /** Fires on time as well: cron or fixed rate, in a time zone, less a calendar. */
  schedule?: ScheduleSpec;
  /** Fires for a business date once each of these has a SUCCEEDED group run for it. */
  dependsOn?: Dependency[];
  /**
   * The files of a run it starts itself (a schedule's fire, its dependencies met). Without it: the files of
   * the upstream runs it waited for, or else one task named after the definition.
   */
  files?: FileRef[];
  mode: RunMode;
  /**
   * maxConcurrent / ratePerSecond: per target URL, shared by every scheduler instance. callbackClients: the
   * inbound clients that may call back for its tasks; without it, the scheduler's configured default.
   */
  target: {
    urls: string[];
    authProfile?: string;
    maxConcurrent?: number;
    ratePerSecond?: number;
    callbackClients?: string[];
  };
  pollIntervalSeconds: number;
  retry: RetryPolicy;
  attemptTimeoutSeconds: number;
  deadline?: Deadline;
  alerts?: AlertSettings;
  enabled: boolean;
}

export interface Definition extends DefinitionSpec {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** When it was archived (`POST /definitions/{id}/archive`); null: it is not. */
  archivedAt: string | null;
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
  properties: {
    source: { type: 'string', minLength: 1, maxLength: 200 },
    event: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

const deadlineAction = { enum: ['ALERT', 'FAIL'] } as const;

export const alertChannelSchema = {
  oneOf: [
    { type: 'object', required: ['type'], additionalProperties: false, properties: { type: { const: 'log' } } },
    {
      type: 'object',
      required: ['type', 'url'],
      additionalProperties: false,
      properties: {
        type: { const: 'webhook' },
        url: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2000 },
        format: { enum: ['json', 'slack'] },
      },
    },
    {
      type: 'object',
      required: ['type', 'to'],
      additionalProperties: false,
      properties: {
        type: { const: 'email' },
        to: { type: 'array', minItems: 1, maxItems: 50, items: { type: 'string', format: 'email' } },
      },
    },
  ],
} as const;

export const definitionSpecSchema = {
  type: 'object',
  required: ['name', 'bindings', 'mode', 'target'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 100 },
    description: { type: 'string', maxLength: 1000 },
    bindings: {
      type: 'array',
      maxItems: 50,
      items: binding,
      description: 'May be empty only when the definition has a schedule or dependsOn',
    },
    schedule: scheduleSchema,
    dependsOn: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      items: {
        type: 'object',
        required: ['definition'],
        additionalProperties: false,
        properties: {
          definition: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 100 },
          policy: { enum: ['ONCE_PER_DATE', 'EVERY_UPSTREAM_SUCCESS'] },
        },
      },
    },
    files: { type: 'array', minItems: 1, maxItems: 10000, items: fileRefSchema },
    mode: { enum: ['SYNC', 'ASYNC'] },
    target: {
      type: 'object',
      required: ['urls'],
      additionalProperties: false,
      properties: {
        urls: {
          type: 'array',
          minItems: 1,
          maxItems: 50,
          items: { type: 'string', format: 'uri', pattern: '^https?://' },
        },
        authProfile: { type: 'string', minLength: 1, maxLength: 100 },
        maxConcurrent: { type: 'integer', minimum: 1, maximum: 100000 },
        ratePerSecond: { type: 'number', exclusiveMinimum: 0, maximum: 100000 },
        callbackClients: {
          type: 'array',
          minItems: 1,
          maxItems: 50,
          uniqueItems: true,
          items: { type: 'string', minLength: 1, maxLength: 200 },
          description:
            "Client ids (a token's `iss`) that may call back for this target's tasks; others get 403. " +
            "Without it, the scheduler's default (FERRY_SCHEDULER_CALLBACK_CLIENTS)",
        },
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
        {
          type: 'object',
          required: ['afterTriggerMinutes'],
          additionalProperties: false,
          properties: { afterTriggerMinutes: { type: 'number', exclusiveMinimum: 0 }, action: deadlineAction },
        },
        {
          type: 'object',
          required: ['cutoff', 'timeZone'],
          additionalProperties: false,
          properties: {
            cutoff: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
            timeZone: { type: 'string', minLength: 1 },
            action: deadlineAction,
          },
        },
      ],
    },
    alerts: {
      type: 'object',
      additionalProperties: false,
      properties: {
        channels: { type: 'array', maxItems: 20, items: alertChannelSchema },
        silenceMinutes: { type: 'number', minimum: 0, maximum: 525600 },
      },
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
  /**
   * The origins (`https://host[:port]`) its tokens may be sent to: a definition's target URLs must be under
   * them. Without it: any origin in development mode, none outside it.
   */
  origins?: string[];
  /** On a PUT: the version read; another one gets 409 (without it, the profile is replaced as before). */
  version?: number;
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
    version: {
      type: 'integer',
      minimum: 1,
      description: 'On a PUT, the version read: another one gets 409 (without it, the profile is replaced as before)',
    },
    origins: {
      type: 'array',
      maxItems: 50,
      description:
        'The origins its tokens may be sent to; a definition whose target URLs are outside them is refused. ' +
        'Without it: any origin in development mode, none outside it',
      items: { type: 'string', format: 'uri', pattern: '^https?://[^/?#@]+/?$', maxLength: 300 },
    },
  },
} as const;

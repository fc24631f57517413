import { compileChecker } from '#ferry/http';
import type { TriggerSourceConfig } from './trigger-source.js';

const sources = {
  type: 'array',
  minItems: 1,
  maxItems: 100,
  items: { type: 'string', minLength: 1, maxLength: 200 },
} as const;
const name = { type: 'string', minLength: 1, maxLength: 200 } as const;

/** FERRY_TRIGGER_SOURCES: a JSON array of these, one per source. */
export const triggerSourcesSchema = {
  type: 'array',
  maxItems: 50,
  items: {
    oneOf: [
      {
        type: 'object',
        required: ['type', 'url', 'queue', 'sources'],
        additionalProperties: false,
        properties: {
          type: { const: 'rabbitmq' },
          url: { type: 'string', pattern: '^amqps?://' },
          queue: name,
          prefetch: { type: 'integer', minimum: 1, maximum: 10_000 },
          deadLetterExchange: name,
          sources,
        },
      },
      {
        type: 'object',
        required: ['type', 'servers', 'stream', 'subject', 'consumer', 'sources'],
        additionalProperties: false,
        properties: {
          type: { const: 'nats' },
          servers: name,
          stream: name,
          subject: name,
          consumer: name,
          maxDeliver: { type: 'integer', minimum: 1, maximum: 1000 },
          ackWaitSeconds: { type: 'integer', minimum: 1, maximum: 86_400 },
          deadLetterSubject: name,
          sources,
        },
      },
      {
        type: 'object',
        required: ['type', 'url', 'table', 'sources'],
        additionalProperties: false,
        properties: {
          type: { const: 'pg-outbox' },
          url: { type: 'string', pattern: '^postgres(ql)?://' },
          table: { type: 'string', pattern: '^[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)?$', maxLength: 120 },
          channel: { type: 'string', pattern: '^[a-z_][a-z0-9_]*$', maxLength: 63 },
          batch: { type: 'integer', minimum: 1, maximum: 10_000 },
          pollMs: { type: 'integer', minimum: 10, maximum: 600_000 },
          sources,
        },
      },
    ],
  },
} as const;

const check = compileChecker(triggerSourcesSchema);

/** The trigger sources a deployment configured; a wrong entry stops the scheduler at start, saying which. */
export function readTriggerSources(value: unknown): TriggerSourceConfig[] {
  const problems = check(value);
  if (problems.length)
    throw new Error(
      `FERRY_TRIGGER_SOURCES: ${problems.map((p) => `${p.path || '(the list)'} ${p.problem}`).join('; ')}`,
    );
  return value as TriggerSourceConfig[];
}

import type { DependencyPolicy } from './definition.js';

/** One edge of a definition's dependencies, seen from either end. */
export interface DependencyEdge {
  definition: string;
  policy: DependencyPolicy;
}

/** Where a dependant stands for one business date. */
export interface DependencyDate {
  businessDate: string;
  /** Every upstream has a SUCCEEDED group run for the date. */
  met: boolean;
  /** The upstreams without one. */
  missing: string[];
  /** The trigger of the definition's latest group run for the date; null: it has not started for it. */
  fired: string | null;
}

/** `GET /definitions/{id}/dependencies`. */
export interface DefinitionDependencies {
  /** What it waits for (its `dependsOn`). */
  upstream: DependencyEdge[];
  /** The definitions that wait for it, with their policy on it. */
  dependants: DependencyEdge[];
  /** The last 7 business dates seen in its own or its upstreams' group runs, newest first. */
  dates: DependencyDate[];
}

const edge = {
  type: 'object',
  required: ['definition', 'policy'],
  properties: {
    definition: { type: 'string', description: "The other definition's name" },
    policy: { enum: ['ONCE_PER_DATE', 'EVERY_UPSTREAM_SUCCESS'] },
  },
} as const;

export const definitionDependenciesSchema = {
  type: 'object',
  required: ['upstream', 'dependants', 'dates'],
  properties: {
    upstream: { type: 'array', items: edge, description: 'What it waits for (its dependsOn)' },
    dependants: { type: 'array', items: edge, description: 'The definitions that wait for it, with their policy' },
    dates: {
      type: 'array',
      description: "The last 7 business dates seen in its own or its upstreams' group runs, newest first",
      items: {
        type: 'object',
        required: ['businessDate', 'met', 'missing', 'fired'],
        properties: {
          businessDate: { type: 'string' },
          met: { type: 'boolean', description: 'Every upstream has a SUCCEEDED group run for the date' },
          missing: { type: 'array', items: { type: 'string' }, description: 'The upstreams without one' },
          fired: {
            type: ['string', 'null'],
            description: 'The trigger of its latest group run for the date; null: it has not started for it',
          },
        },
      },
    },
  },
} as const;

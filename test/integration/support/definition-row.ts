import { randomUUID } from 'node:crypto';
import { DefinitionEntity } from '../../../apps/scheduler/src/persistence/index.js';

/** A stored definition, as the admin API would have written it, targeting nothing that answers. */
export function definitionRow(mode: 'SYNC' | 'ASYNC' = 'ASYNC', now = Date.now()): DefinitionEntity {
  return Object.assign(new DefinitionEntity(), {
    id: randomUUID(),
    name: `d-${randomUUID()}`,
    enabled: 1,
    version: 1,
    createdAt: now,
    updatedAt: now,
    spec: { name: 'd', mode, bindings: [{ source: 's', event: 'e' }], target: { urls: ['http://127.0.0.1:9'] } },
  });
}

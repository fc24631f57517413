import type { EntityManager } from 'typeorm';
import type { DefinitionSpec, TriggerWaitingSummary } from '#ferry/contracts';
import type { DefinitionEntity } from '../persistence/index.js';
import { dependencyGate } from './dependency-gate.js';

/** A definition a message starts now; a dependant's run carries the business date its upstreams met. */
export interface StartNow {
  definition: DefinitionEntity;
  businessDate?: string;
}

/** A dependant whose upstreams have not all succeeded for the date: its message waits (dependency_wait). */
export interface HeldForUpstreams {
  definition: DefinitionEntity;
  businessDate: string;
  missing: string[];
}

/** The business date a dependant's message is for: its own, or else the day (UTC) it was received. */
export const dependencyDate = (businessDate: string | undefined, receivedAt: number): string =>
  businessDate ?? new Date(receivedAt).toISOString().slice(0, 10);

/** Splits the definitions bound to a message into those it starts now and the dependants it waits for. */
export async function gateBound(
  em: EntityManager,
  definitions: DefinitionEntity[],
  businessDate: string | undefined,
  receivedAt: number,
): Promise<{ start: StartNow[]; held: HeldForUpstreams[] }> {
  const start: StartNow[] = [];
  const held: HeldForUpstreams[] = [];
  for (const definition of definitions) {
    if (!(definition.spec as DefinitionSpec).dependsOn?.length) {
      start.push({ definition });
      continue;
    }
    const date = dependencyDate(businessDate, receivedAt);
    const gate = await dependencyGate(em, definition, date);
    if (gate.met) start.push({ definition, businessDate: date });
    else held.push({ definition, businessDate: date, missing: gate.missing });
  }
  return { start, held };
}

export const waitingSummary = (held: HeldForUpstreams[]): TriggerWaitingSummary[] =>
  held.map((h) => ({ definition: h.definition.name, businessDate: h.businessDate, missing: h.missing }));

/** The trigger's reason while it waits: who waits for which upstreams, for which date. */
export const waitingReason = (held: HeldForUpstreams[]): string =>
  held
    .map((h) => `${h.definition.name} waits for ${h.missing.join(', ')} to succeed for ${h.businessDate}`)
    .join('; ')
    .slice(0, 2000);

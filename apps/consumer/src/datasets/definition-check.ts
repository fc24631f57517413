import type { Dispatcher } from 'undici';
import { checkDatasetSpec, type DatasetDefinition, type DatasetSpec, datasetSpecSchema } from '#ferry/datasets';
import { compileChecker } from '#ferry/http';
import { DatasetRefused } from './dataset-refused.js';

/** A definition's answer is read up to this: four record schemas at their limit, with room for the mapping. */
export const MAX_DEFINITION_BYTES = 1024 * 1024;

const specProblems = compileChecker(datasetSpecSchema);

/**
 * What the provider answered for dataset `name`, checked as the provider checks a definition it is
 * given (the schema, the mapping's consistency, the record schema's bounds): the spec to store, or
 * DatasetRefused naming every problem.
 */
export function checkedDefinition(name: string, answer: unknown): { spec: DatasetSpec; schemaVersion: number } {
  const def = (answer ?? {}) as Partial<DatasetDefinition>;
  if (def.name !== name) throw new DatasetRefused(name, `the provider answered another dataset (${String(def.name)})`);
  const { schemaVersion } = def;
  if (typeof schemaVersion !== 'number' || !Number.isSafeInteger(schemaVersion) || schemaVersion < 1)
    throw new DatasetRefused(name, 'its schemaVersion is not a positive integer');
  const spec = {
    name,
    schema: def.schema,
    key: def.key,
    mapping: def.mapping,
    ...(def.sink ? { sink: def.sink } : {}),
  } as DatasetSpec;
  const shape = specProblems(spec);
  const problems = shape.length ? shape : checkDatasetSpec(spec);
  if (problems.length) throw new DatasetRefused(name, 'the definition is not one this consumer loads', problems);
  return { spec, schemaVersion };
}

/** The body as text, or undefined once it is longer than `maxBytes` (the rest is not read). */
export async function readCapped(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

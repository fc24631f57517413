import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { checkRecordSchema, type DatasetSpec } from '#ferry/datasets';
import { DatasetRefused } from '../datasets/dataset-refused.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));

export type Check = (record: Record<string, unknown>) => string[] | null;

/**
 * The dataset's record schema, compiled once per worker and dataset version. In changes files a
 * record also carries `op`, which the dataset schema knows nothing about, so it is allowed here.
 * The schema is checked again before ajv sees it (the copy may be older than the catalog's checks):
 * one it refuses, or ajv cannot compile, is DatasetRefused and nothing is compiled.
 */
export function compileCheck(spec: DatasetSpec, withOp: boolean): Check {
  const problems = checkRecordSchema(spec.schema);
  if (problems.length)
    throw new DatasetRefused(spec.name, 'its record schema is not one this consumer compiles', problems);
  const schema = withOp
    ? {
        ...spec.schema,
        properties: { ...((spec.schema.properties as object) ?? {}), op: { enum: ['upsert', 'delete'] } },
      }
    : spec.schema;
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw new DatasetRefused(spec.name, `its record schema does not compile: ${(err as Error).message.slice(0, 300)}`);
  }
  return (record) => {
    if (validate(record)) return null;
    return (validate.errors ?? []).slice(0, 10).map((e) => {
      const where = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
      const field =
        e.keyword === 'required'
          ? String(e.params.missingProperty)
          : e.keyword === 'additionalProperties'
            ? String(e.params.additionalProperty)
            : where;
      const problem = e.keyword === 'additionalProperties' ? 'is not allowed' : (e.message ?? 'is invalid');
      return `${field || '(record)'}: ${problem}`;
    });
  };
}

import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { DatasetSpec } from '#ferry/datasets';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));

export type Check = (record: Record<string, unknown>) => string[] | null;

/**
 * The dataset's record schema, compiled once per worker and dataset version. In changes files a
 * record also carries `op`, which the dataset schema knows nothing about, so it is allowed here.
 */
export function compileCheck(spec: DatasetSpec, withOp: boolean): Check {
  const schema = withOp
    ? {
        ...spec.schema,
        properties: { ...((spec.schema.properties as object) ?? {}), op: { enum: ['upsert', 'delete'] } },
      }
    : spec.schema;
  const validate: ValidateFunction = ajv.compile(schema);
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

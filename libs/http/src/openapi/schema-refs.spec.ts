import { describe, expect, it } from '@jest/globals';
import { fileRefSchema, triggerAnswerSchema, triggerMessageSchema } from '#ferry/contracts';
import { componentsFor, schemaRef } from './schema-refs.js';

describe('OpenAPI schema references', () => {
  it('names a contract schema by reference, and refuses any other object', () => {
    expect(schemaRef(triggerMessageSchema)).toEqual({ $ref: '#/components/schemas/TriggerMessage' });
    expect(() => schemaRef({ ...triggerMessageSchema })).toThrow(/not one of the named contract schemas/);
  });

  it('writes out what a document refers to, and what those refer to, with nested contract schemas as $refs', () => {
    const components = componentsFor({ a: { schema: schemaRef(triggerMessageSchema) } });
    expect(Object.keys(components)).toEqual(['FileRef', 'TriggerMessage']);
    expect(components.TriggerMessage).toMatchObject({
      required: ['messageId', 'source', 'event'],
      properties: { files: { type: 'array', items: { $ref: '#/components/schemas/FileRef' } } },
    });
    expect(components.FileRef).toEqual(fileRefSchema);
    expect(Object.keys(componentsFor([schemaRef(triggerAnswerSchema)]))).toEqual([
      'TriggerAnswer',
      'TriggerGroupRunSummary',
    ]);
  });

  it('fails on a reference to a name the contract does not have', () => {
    expect(() => componentsFor({ $ref: '#/components/schemas/Nope' })).toThrow(/no contract schema named Nope/);
  });
});

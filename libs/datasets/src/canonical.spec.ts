import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical.js';
import { ChecksumBuilder, checksumOf } from './checksum.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves out whitespace and undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: 'é' }], c: undefined }, '10': true, '9': false })).toBe(
      '{"10":true,"9":false,"a":{"d":[3,{"y":"é","z":null}]},"b":1}',
    );
  });

  it('serialises scalars as JSON does', () => {
    expect(canonicalJson('a"b')).toBe('"a\\"b"');
    expect(canonicalJson([undefined, 1.5])).toBe('[null,1.5]');
  });
});

describe('checksum', () => {
  it('is sha256 over canonical records each followed by a newline', () => {
    const records = [{ id: 2, a: 'x' }, { id: 1 }];
    const expected = createHash('sha256').update('{"a":"x","id":2}\n{"id":1}\n').digest('hex');
    expect(checksumOf(records)).toBe(`sha256:${expected}`);
  });

  it('depends on record order and equals the incremental builder', () => {
    const b = new ChecksumBuilder();
    b.addCanonical('{"id":1}');
    expect(b.digest()).toBe(checksumOf([{ id: 1 }]));
    expect(checksumOf([{ id: 1 }, { id: 2 }])).not.toBe(checksumOf([{ id: 2 }, { id: 1 }]));
  });
});

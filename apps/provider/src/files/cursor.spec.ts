import { describe, expect, it } from '@jest/globals';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('cursor', () => {
  it('round-trips the last ordinal and starts at 0 without a cursor', () => {
    expect(decodeCursor(encodeCursor(12345))).toBe(12345);
    expect(decodeCursor(undefined)).toBe(0);
    expect(decodeCursor('')).toBe(0);
  });

  it('refuses cursors it did not issue with a 422', () => {
    for (const bad of [
      'zzz',
      Buffer.from('o:-1').toString('base64url'),
      Buffer.from('x:1').toString('base64url'),
      'a b',
    ]) {
      expect(() => decodeCursor(bad)).toThrow(expect.objectContaining({ status: 422 }));
    }
  });
});

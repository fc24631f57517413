import { describe, expect, it } from '@jest/globals';
import { specDiff } from './definition-versions.js';

describe('specDiff', () => {
  it('names each changed leaf with its before and after, objects by key and arrays by index', () => {
    const before = { name: 'a', target: { urls: ['http://x', 'http://y'] }, retry: { maxAttempts: 3 }, mode: 'SYNC' };
    const after = { name: 'a', target: { urls: ['http://x', 'http://z', 'http://w'] }, retry: { maxAttempts: 5 } };
    expect(specDiff(before, after)).toEqual([
      { path: 'mode', before: 'SYNC' },
      { path: 'retry.maxAttempts', before: 3, after: 5 },
      { path: 'target.urls[1]', before: 'http://y', after: 'http://z' },
      { path: 'target.urls[2]', after: 'http://w' },
    ]);
  });

  it('answers nothing for equal specs, and a whole value when its type changed', () => {
    expect(specDiff({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
    expect(specDiff({ deadline: { at: '06:00' } }, { deadline: null })).toEqual([
      { path: 'deadline', before: { at: '06:00' }, after: null },
    ]);
  });
});

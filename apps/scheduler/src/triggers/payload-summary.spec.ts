import { describe, expect, it } from '@jest/globals';
import { LISTED_FILES, summarizePayload } from './payload-summary.js';

const files = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `f-${i}` }));
const msg = { messageId: 'm-1', source: 'billing', event: 'e', businessDate: '2026-11-24' };

describe('summarizePayload', () => {
  it('keeps a small message whole', () => {
    const payload = { ...msg, files: files(3), attributes: { region: 'x' } };
    expect(summarizePayload(payload)).toEqual({ payload, fileCount: 3, truncated: false });
  });

  it('lists the first files and counts them all', () => {
    const s = summarizePayload({ ...msg, files: files(5000) });
    expect(s.fileCount).toBe(5000);
    expect(s.truncated).toBe(true);
    expect(s.payload).toEqual({ ...msg, files: files(LISTED_FILES) });
  });

  it('leaves large attributes out', () => {
    const s = summarizePayload({ ...msg, attributes: { blob: 'x'.repeat(10_000) } });
    expect(s).toEqual({ payload: msg, fileCount: null, truncated: true });
  });

  it('keeps only the identifying fields of a message that is large elsewhere', () => {
    const s = summarizePayload({ ...msg, files: [{ name: 'x'.repeat(100_000) }], junk: 'y'.repeat(100_000) });
    expect(s).toEqual({ payload: msg, fileCount: 1, truncated: true });
    expect(JSON.stringify(s).length).toBeLessThan(1000);
  });

  it('bounds what a rejected message may be: anything', () => {
    expect(summarizePayload('short')).toEqual({ payload: 'short', fileCount: null, truncated: false });
    expect(summarizePayload('z'.repeat(100_000))).toEqual({ payload: null, fileCount: null, truncated: true });
    expect(summarizePayload(null)).toEqual({ payload: null, fileCount: null, truncated: false });
    expect(summarizePayload(files(10_000)).truncated).toBe(true);
  });
});

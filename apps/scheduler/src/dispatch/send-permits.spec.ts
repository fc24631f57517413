import { describe, expect, it } from '@jest/globals';
import { SendPermits } from './send-permits.js';

/** The end of a call, when the test releases it. */
function gate() {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { done, release };
}

describe('SendPermits', () => {
  it('runs at most `limit` calls at once and starts the waiting ones in order as calls end', async () => {
    const permits = new SendPermits(2);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const results = gates.map((g, i) =>
      permits.run(async () => {
        started.push(i);
        await g.done;
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    gates[1].release();
    await results[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    gates[0].release();
    gates[2].release();
    gates[3].release();
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3]);
  });

  it('frees the permit of a call that fails', async () => {
    const permits = new SendPermits(1);
    await expect(permits.run(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(await permits.run(async () => 'next')).toBe('next');
  });
});

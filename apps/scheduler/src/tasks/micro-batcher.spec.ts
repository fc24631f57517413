import { describe, expect, it } from '@jest/globals';
import { MicroBatcher } from './micro-batcher.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('MicroBatcher', () => {
  it(
    'coalesces the submissions of one event-loop turn into one flush ' + 'and answers each caller with its own result',
    async () => {
      const flushes: number[][] = [];
      const b = new MicroBatcher<number, string>(
        async (items) => {
          flushes.push(items);
          return items.map((i) => `r${i}`);
        },
        String,
        1,
      );
      const out = await Promise.all([1, 2, 3, 4, 5].map((i) => b.submit(i)));
      expect(out).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
      expect(flushes).toEqual([[1, 2, 3, 4, 5]]);
    },
  );

  it('splits a burst into batches of at most maxBatch, in order', async () => {
    const flushes: number[][] = [];
    const b = new MicroBatcher<number, number>(
      async (items) => {
        flushes.push(items);
        return items.map((i) => i * 2);
      },
      String,
      1,
      4,
    );
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(i)));
    expect(out).toEqual(Array.from({ length: 10 }, (_, i) => i * 2));
    expect(flushes.map((f) => f.length)).toEqual([4, 4, 2]);
    expect(flushes.flat()).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('runs one batch at a time per lane; what arrives meanwhile joins the next batch', async () => {
    const flushes: string[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new MicroBatcher<string, string>(
      async (items) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        flushes.push(items);
        if (flushes.length === 1) await gate;
        inFlight--;
        return items;
      },
      (s) => s,
      1,
    );
    const first = b.submit('a');
    await tick();
    const later = [b.submit('b'), b.submit('c')];
    await tick();
    expect(flushes).toEqual([['a']]);
    release();
    expect(await Promise.all([first, ...later])).toEqual(['a', 'b', 'c']);
    expect(flushes).toEqual([['a'], ['b', 'c']]);
    expect(maxInFlight).toBe(1);
  });

  it('keeps one key on one lane (never two batches for it at once) while other lanes overlap', async () => {
    const active = new Set<string>();
    let overlapSameKey = false;
    let maxLanesAtOnce = 0;
    let running = 0;
    const b = new MicroBatcher<string, string>(
      async (items) => {
        running++;
        maxLanesAtOnce = Math.max(maxLanesAtOnce, running);
        for (const k of new Set(items)) {
          if (active.has(k)) overlapSameKey = true;
          active.add(k);
        }
        await new Promise((r) => setTimeout(r, 10));
        for (const k of new Set(items)) active.delete(k);
        running--;
        return items;
      },
      (s) => s,
      8,
      3,
    );
    const keys = Array.from({ length: 200 }, (_, i) => `task-${i % 20}`);
    expect(await Promise.all(keys.map((k) => b.submit(k)))).toEqual(keys);
    expect(overlapSameKey).toBe(false);
    expect(maxLanesAtOnce).toBeGreaterThan(1);
  });

  it('rejects every caller of a failed batch and goes on working afterwards', async () => {
    let fail = true;
    const b = new MicroBatcher<number, number>(
      async (items) => {
        if (fail) throw new Error('database down');
        return items;
      },
      String,
      1,
    );
    const failed = await Promise.allSettled([b.submit(1), b.submit(2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((failed[0] as PromiseRejectedResult).reason).toEqual(new Error('database down'));
    fail = false;
    expect(await Promise.all([b.submit(3), b.submit(4)])).toEqual([3, 4]);
  });
});

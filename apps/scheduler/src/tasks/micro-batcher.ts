/**
 * Coalesces concurrent submissions into batches so that many callers share one database
 * transaction. Items are spread over lanes by key; a lane runs one batch at a time, so two
 * batches of one process never race for the same task, while different lanes overlap.
 */
export class MicroBatcher<I, O> {
  private readonly lanes: Array<{
    queue: Array<{ item: I; resolve(o: O): void; reject(e: unknown): void }>;
    busy: boolean;
  }>;

  constructor(
    private readonly flush: (items: I[]) => Promise<O[]>,
    private readonly keyOf: (item: I) => string,
    laneCount: number,
    private readonly maxBatch = 500,
  ) {
    this.lanes = Array.from({ length: Math.max(1, laneCount) }, () => ({ queue: [], busy: false }));
  }

  submit(item: I): Promise<O> {
    const lane = this.lanes[hash(this.keyOf(item)) % this.lanes.length];
    return new Promise<O>((resolve, reject) => {
      lane.queue.push({ item, resolve, reject });
      // setImmediate lets every submission of this event-loop turn join the batch.
      if (!lane.busy) {
        lane.busy = true;
        setImmediate(() => void this.drain(lane));
      }
    });
  }

  private async drain(lane: (typeof this.lanes)[number]): Promise<void> {
    while (lane.queue.length) {
      const batch = lane.queue.splice(0, this.maxBatch);
      try {
        const out = await this.flush(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(out[i]));
      } catch (err) {
        batch.forEach((b) => b.reject(err));
      }
    }
    lane.busy = false;
  }
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

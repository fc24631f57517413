/**
 * At most `limit` calls run at once; the others wait their turn, in order. Bounds what an instance keeps for
 * requests it has started but not yet answered: past the downstream's connections, more in flight only waits
 * in the HTTP client's queue, holding each request's state there.
 */
export class SendPermits {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++;
    // The permit is handed over by the call that ends, so `running` stays counted for the waiter.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

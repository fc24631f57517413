import type { Logger } from '@nestjs/common';

/**
 * Runs a pass every `intervalMs`, one at a time: an interval that comes while a pass is still
 * running is skipped, so a slow pass never piles up concurrent ones behind it.
 */
export class Periodic {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly pass: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(intervalMs: number, now = false): void {
    if (now) this.tick();
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.pass()
      .then(
        () => undefined,
        (err) => this.logger.warn(`${this.name} pass failed: ${(err as Error).message}`),
      )
      .finally(() => {
        this.running = undefined;
      });
  }
}

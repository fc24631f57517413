import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Periodic } from './periodic.js';

describe('Periodic', () => {
  it('never runs two passes at once: intervals that come during a slow pass are skipped', async () => {
    let active = 0;
    let most = 0;
    let passes = 0;
    const p = new Periodic(
      'test',
      async () => {
        passes++;
        most = Math.max(most, ++active);
        await new Promise((r) => setTimeout(r, 60)); // six intervals long
        active--;
      },
      new Logger('test'),
    );
    p.start(10, true);
    await new Promise((r) => setTimeout(r, 200));
    await p.stop();
    expect(most).toBe(1);
    expect(passes).toBeGreaterThanOrEqual(2);
    expect(passes).toBeLessThanOrEqual(4);
  });

  it('keeps going after a failed pass', async () => {
    let passes = 0;
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m) } as unknown as Logger;
    const p = new Periodic(
      'flaky',
      async () => {
        if (++passes === 1) throw new Error('database down');
      },
      logger,
    );
    p.start(10, true);
    await new Promise((r) => setTimeout(r, 60));
    await p.stop();
    expect(warnings[0]).toBe('flaky pass failed: database down');
    expect(passes).toBeGreaterThan(1);
  });
});

import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { declaredRoutes } from '#ferry/http';
import type { SchedulerConfig } from './scheduler.config.js';
import { SchedulerModule } from './scheduler.module.js';

// Only what forRoot reads to lay out the modules: no route depends on the configuration's values.
const config = { redis: { prefix: '{t}' }, triggerQueue: 'ferry.triggers', runWorkers: false } as SchedulerConfig;

describe('scheduler routes', () => {
  it('each declare @Scopes or @Public, and only the health probes and the login are public', () => {
    const routes = declaredRoutes(SchedulerModule.forRoot(config, {}));
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((r) => r.access === undefined).map((r) => r.route)).toEqual([]);
    expect(routes.filter((r) => r.access && 'publicReason' in r.access).map((r) => r.route)).toEqual([
      'HealthController.live',
      'HealthController.ready',
      'SessionController.login',
    ]);
  });
});
